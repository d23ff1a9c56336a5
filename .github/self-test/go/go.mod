module witchery.dev/self-test

go 1.19
