import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', '.bench/', '.demo/', 'demo-output/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }]
    }
  },
  {
    // AssemblyScript: its 64-bit integer literals are exact (SHA-512's constants).
    files: ['src/**/assembly/**/*.ts'],
    rules: { 'no-loss-of-precision': 'off' }
  },
  {
    files: ['src/apk/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@actions/*'], message: 'The APK engine knows nothing of GitHub Actions.' },
            { group: ['../oci/*', '../action/*'], message: 'The engine is a leaf layer.' }
          ]
        }
      ]
    }
  }
)
