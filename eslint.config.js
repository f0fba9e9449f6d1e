// @ts-check
// Lint with zero warnings, typed. Beyond the recommended rules, this file is
// where the layers are enforced: core knows no screen and no proposer, the
// proposers know only core's contract, the faces (screen and headless
// printer) only read events and send intents, and nothing but core spawns a
// process or runs git.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const processModules = ['execa', 'child_process', 'node:child_process'];
const spawnRule = {
	paths: processModules.map(name => ({name, message: 'Only source/core spawns processes or runs git: ask core for it.'})),
};

/** @param {string[]} patterns @param {string} message */
const forbid = (patterns, message) => ({group: patterns, message});

export default tseslint.config(
	{ignores: ['dist/', 'node_modules/', 'runs/', 'coverage/', 'train/', '**/*.py']},
	eslint.configs.recommended,
	...tseslint.configs.recommendedTypeChecked,
	{
		languageOptions: {
			globals: globals.node,
			parserOptions: {project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname},
		},
		rules: {
			'@typescript-eslint/switch-exhaustiveness-check': [
				'error',
				{considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false},
			],
			'@typescript-eslint/no-explicit-any': 'error',
			'@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
			'@typescript-eslint/consistent-type-imports': ['error', {fixStyle: 'inline-type-imports'}],
			// Promises handed to event emitters and timers are fire-and-forget by design; each such call says so with `void`.
			'@typescript-eslint/no-misused-promises': ['error', {checksVoidReturn: false}],
		},
	},
	{
		files: ['source/ui/**/*.tsx', 'source/ui/**/*.ts'],
		plugins: {'react-hooks': reactHooks},
		rules: {...reactHooks.configs.recommended.rules},
	},
	{
		files: ['source/core/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					paths: ['ink', 'react', 'conf'].map(name => ({name, message: 'core knows no screen and no user settings.'})),
					patterns: [forbid(['../*'], 'core imports nothing outside core: the proposers and the faces depend on it, never the other way.')],
				},
			],
		},
	},
	{
		files: ['source/proposers/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					...spawnRule,
					patterns: [forbid(['../ui/*', '../cli*'], "proposers know core's contract, not the screen.")],
				},
			],
		},
	},
	{
		files: ['source/ui/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					...spawnRule,
					patterns: [
						forbid(
							['../proposers/*', '../../proposers/*', '../cli*'],
							'the faces read events and send intents; they never call a proposer.',
						),
					],
				},
			],
		},
	},
	{
		files: ['source/report/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					...spawnRule,
					patterns: [
						forbid(
							['../proposers/*', '../ui/*', '../cli*', '../cli/*'],
							'the report reads runs/ through core; it never calls a proposer or the screen.',
						),
					],
				},
			],
		},
	},
	{
		files: ['source/cli.ts', 'source/cli/**', 'source/settings.ts'],
		rules: {'no-restricted-imports': ['error', spawnRule]},
	},
	{
		files: ['test/**', 'bench/**', 'scripts/**', '*.config.*', 'eslint.config.js'],
		rules: {
			// Tests poke at internals and at untyped JSON on purpose.
			'@typescript-eslint/no-unsafe-assignment': 'off',
			'@typescript-eslint/no-unsafe-member-access': 'off',
			'@typescript-eslint/no-unsafe-call': 'off',
			'@typescript-eslint/no-unsafe-argument': 'off',
			'@typescript-eslint/no-unsafe-return': 'off',
			'@typescript-eslint/no-non-null-assertion': 'off',
			// Stand-ins implement async interfaces without awaiting anything.
			'@typescript-eslint/require-await': 'off',
			// Tests look for escape and control bytes on purpose: that none reach a terminal, a commit or a row.
			'no-control-regex': 'off',
		},
	},
	{
		files: ['bench/**/*.mjs', 'scripts/**/*.mjs', 'eslint.config.js'],
		...tseslint.configs.disableTypeChecked,
	},
	prettier,
);
