import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  diffLines,
  diffPackages,
  MAX_LOCKFILE_BYTES,
  type PackageChange,
  parseLockfile,
  parseMatchSpec,
  parseRequirementLine,
} from '../../src/services/lockfiles';
import condaAfter from '../fixtures/lockfiles/after/environment.yml?raw';
import pipfileAfter from '../fixtures/lockfiles/after/Pipfile.lock?raw';
import npmAfter from '../fixtures/lockfiles/after/package-lock.json?raw';
import poetryAfter from '../fixtures/lockfiles/after/poetry.lock?raw';
import reqAfter from '../fixtures/lockfiles/after/requirements.txt?raw';
import reqProdAfter from '../fixtures/lockfiles/after/requirements-prod.txt?raw';
import uvAfter from '../fixtures/lockfiles/after/uv.lock?raw';
import npmV1After from '../fixtures/lockfiles/after/v1/package-lock.json?raw';
import condaBefore from '../fixtures/lockfiles/before/environment.yml?raw';
import pipfileBefore from '../fixtures/lockfiles/before/Pipfile.lock?raw';
import npmBefore from '../fixtures/lockfiles/before/package-lock.json?raw';
import poetryBefore from '../fixtures/lockfiles/before/poetry.lock?raw';
import reqBefore from '../fixtures/lockfiles/before/requirements.txt?raw';
import reqProdBefore from '../fixtures/lockfiles/before/requirements-prod.txt?raw';
import uvBefore from '../fixtures/lockfiles/before/uv.lock?raw';
import npmV1Before from '../fixtures/lockfiles/before/v1/package-lock.json?raw';

const SHA_BEFORE = '3f2c1a9d8e7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a';
const SHA_AFTER = '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d';

function parsed(path: string, text: string) {
  const result = parseLockfile(path, text);
  expect(result, path).not.toBeNull();
  return result!;
}

function changed(name: string, from: string, to: string): PackageChange {
  return { name, change: 'changed', from, to };
}
function added(name: string, to: string): PackageChange {
  return { name, change: 'added', from: null, to };
}
function removed(name: string, from: string): PackageChange {
  return { name, change: 'removed', from, to: null };
}

/** Parse both fixtures under `path` and compare them. */
function fixtureDiff(path: string, before: string, after: string) {
  const a = parsed(`before/${path}`, before);
  const b = parsed(`after/${path}`, after);
  expect(b.format).toBe(a.format);
  return {
    format: a.format,
    before: a.packages,
    after: b.packages,
    changes: diffPackages(a.packages, b.packages),
  };
}

describe('fixtures: before → after, package by package', () => {
  it('pip freeze (~50 packages, extras, URL and editable installs, option lines)', () => {
    const { format, before, after, changes } = fixtureDiff('requirements.txt', reqBefore, reqAfter);
    expect(format).toBe('requirements');
    expect(before.size).toBe(56); // 55 pinned lines and one `-e …#egg=`
    expect(before.get('scikit-learn')).toBe('1.3.0');
    expect(before.get('uvicorn')).toBe('0.25.0'); // uvicorn[standard]: the name without extras
    expect(before.get('pydantic-core')).toBe('2.14.6'); // PEP 503: pydantic_core
    expect(before.get('pyyaml')).toBe('6.0.1');
    expect(before.get('torch')).toBe(
      'https://download.pytorch.org/whl/cu121/torch-2.1.2%2Bcu121-cp311-cp311-linux_x86_64.whl',
    );
    expect(after.get('tomli')).toBe('2.0.1'); // the environment marker is not part of the version
    // Jinja2 → jinja2 and typing_extensions → typing-extensions are the same packages: no change.
    expect(changes).toEqual([
      changed(
        'acme-features',
        `git+https://github.com/acme/feature-store.git@${SHA_BEFORE}#egg=acme_features`,
        `git+https://github.com/acme/feature-store.git@${SHA_AFTER}#egg=acme-features`,
      ),
      added('lightgbm', '4.2.0'),
      changed('scikit-learn', '1.3.0', '1.4.0'),
      added('tomli', '2.0.1'),
      removed('xgboost', '2.0.2'),
    ]);
  });

  it('pip-compile --generate-hashes (backslash-continued --hash lines, # via comments)', () => {
    const { before, changes } = fixtureDiff('requirements-prod.txt', reqProdBefore, reqProdAfter);
    expect(Object.fromEntries(before)).toEqual({
      joblib: '1.3.2',
      numpy: '1.26.2',
      pandas: '2.1.4',
      'python-dateutil': '2.8.2',
      pytz: '2023.3.post1',
      'scikit-learn': '1.3.0',
      scipy: '1.11.4',
      six: '1.16.0',
      threadpoolctl: '3.2.0',
      tzdata: '2023.4',
    });
    expect(changes).toEqual([
      added('pyarrow', '14.0.2'),
      changed('scikit-learn', '1.3.0', '1.4.0'),
      changed('scipy', '1.11.4', '1.12.0'),
      removed('tzdata', '2023.4'),
    ]);
  });

  it('uv.lock (the project itself, a git source, a package forked by resolution markers)', () => {
    const { format, before, changes } = fixtureDiff('uv.lock', uvBefore, uvAfter);
    expect(format).toBe('uv');
    expect(before.size).toBe(12);
    expect(changes).toEqual([
      changed('acme-features', `0.2.0 (git ${SHA_BEFORE})`, `0.2.0 (git ${SHA_AFTER})`),
      changed('churn-model', '0.3.0', '0.4.0'),
      changed('numpy', '1.26.2', '1.26.4 | 2.0.0'),
      added('polars', '0.20.3'),
      removed('pytz', '2023.3.post1'),
      changed('scikit-learn', '1.3.0', '1.4.0'),
    ]);
  });

  it('poetry.lock (git source, dotted names normalised)', () => {
    const { format, before, changes } = fixtureDiff('poetry.lock', poetryBefore, poetryAfter);
    expect(format).toBe('poetry');
    expect(before.size).toBe(13);
    expect(before.get('acme-features')).toBe(`0.2.0 (git ${SHA_BEFORE})`);
    expect(changes).toEqual([
      added('lightgbm', '4.2.0'),
      changed('ruamel-yaml', '0.18.5', '0.18.6'),
      changed('scikit-learn', '1.3.0', '1.4.0'),
      removed('xgboost', '2.0.2'),
    ]);
  });

  it('Pipfile.lock (default and develop in one namespace, git entry)', () => {
    const { format, before, changes } = fixtureDiff('Pipfile.lock', pipfileBefore, pipfileAfter);
    expect(format).toBe('pipfile');
    expect(before.get('acme-features')).toBe(`git+https://github.com/acme/feature-store.git@${SHA_BEFORE}`);
    expect(before.get('numpy')).toBe('1.26.2'); // listed in both sections with the same version
    expect(before.get('pytest')).toBe('7.4.4');
    expect(before.size).toBe(15);
    expect(changes).toEqual([
      added('coverage', '7.4.0'),
      added('lightgbm', '4.2.0'),
      changed('scikit-learn', '1.3.0', '1.4.0'),
      removed('xgboost', '2.0.2'),
    ]);
  });

  it('conda environment.yml (build strings kept, channels dropped, pip section as pip:<name>)', () => {
    const { format, before, changes } = fixtureDiff('environment.yml', condaBefore, condaAfter);
    expect(format).toBe('conda');
    expect(Object.fromEntries(before)).toEqual({
      python: '3.11.7',
      pip: '23.3.2',
      numpy: '1.26.2=py311h64a7726_0',
      libblas: '3.9.0=20_linux64_openblas',
      pandas: '2.1.4',
      pyarrow: '14.0.2',
      'scikit-learn': '1.3.2',
      scipy: '1.11.4',
      cudatoolkit: '11.8.0',
      'matplotlib-base': '>=3.8',
      jupyterlab: '*',
      'pip:scikit-learn': '1.3.0',
      'pip:xgboost': '2.0.2',
      'pip:mlflow': '2.9.2',
      'pip:torch': '2.1.2+cu121',
    });
    // The conda scikit-learn build is unchanged; the pip one moved.
    expect(changes).toEqual([
      removed('cudatoolkit', '11.8.0'),
      changed('libblas', '3.9.0=20_linux64_openblas', '3.9.0=20_linux64_mkl'),
      changed('numpy', '1.26.2=py311h64a7726_0', '1.26.3=py311h64a7726_0'),
      added('pip:lightgbm', '4.2.0'),
      changed('pip:scikit-learn', '1.3.0', '1.4.0'),
      removed('pip:xgboost', '2.0.2'),
      added('polars', '0.20.3'),
    ]);
  });

  it('package-lock.json v3 (nested node_modules keyed by path, workspace link, re-hoisting)', () => {
    const { format, before, changes } = fixtureDiff('package-lock.json', npmBefore, npmAfter);
    expect(format).toBe('npm');
    expect(before.has('')).toBe(false);
    expect(before.has('packages/ui')).toBe(false);
    expect(before.get('@acme/ui')).toBe('0.1.0'); // the link takes its target's version
    expect(before.get('chalk/node_modules/supports-color')).toBe('7.2.0');
    expect(before.get('supports-color')).toBe('5.5.0');
    expect(before.get('express/node_modules/debug')).toBe('2.6.9');
    expect(before.size).toBe(16);
    expect(changes).toEqual([
      changed('@acme/ui', '0.1.0', '0.2.0'),
      changed('@types/node', '20.10.5', '20.11.0'),
      added('debug/node_modules/ms', '2.1.2'),
      removed('left-pad', '1.3.0'),
      changed('lodash', '4.17.20', '4.17.21'),
      changed('ms', '2.1.2', '2.0.0'),
      added('zod', '3.22.4'),
    ]);
  });

  it('package-lock.json v1 (recursive dependencies, keyed by the same paths as v3)', () => {
    const { format, before, changes } = fixtureDiff('v1/package-lock.json', npmV1Before, npmV1After);
    expect(format).toBe('npm');
    expect(Object.fromEntries(before)).toEqual({
      'body-parser': '1.19.0',
      debug: '2.6.9',
      express: '4.17.1',
      mime: '1.6.0',
      mocha: '8.4.0',
      'mocha/node_modules/debug': '4.3.1',
      'mocha/node_modules/debug/node_modules/ms': '2.1.2',
      ms: '2.0.0',
      send: '0.17.1',
      'send/node_modules/ms': '2.1.1',
    });
    expect(changes).toEqual([
      changed('express', '4.17.1', '4.18.2'),
      removed('mime', '1.6.0'),
      added('qs', '6.7.0'),
      changed('send', '0.17.1', '0.18.0'),
      changed('send/node_modules/ms', '2.1.1', '2.1.3'),
    ]);
  });
});

describe('parseLockfile: format detection', () => {
  const freeze = 'numpy==1.26.2\nscipy==1.11.4\n';

  it.each([
    ['requirements.txt', 'requirements'],
    ['ml/train/requirements-dev.txt', 'requirements'],
    ['Requirements.TXT', 'requirements'],
    ['constraints.txt', 'requirements'],
    ['C:\\proj\\frozen.txt', 'requirements'],
  ])('%s with pip freeze lines → %s', (path, format) => {
    expect(parseLockfile(path, freeze)?.format).toBe(format);
  });

  it.each([
    ['uv.lock', 'uv', 'version = 1\n'],
    ['svc/poetry.lock', 'poetry', '[metadata]\nlock-version = "2.0"\n'],
    ['Pipfile.lock', 'pipfile', '{"_meta": {}, "default": {}, "develop": {}}'],
    ['environment.yml', 'conda', 'dependencies: []\n'],
    ['environment.yaml', 'conda', 'dependencies: [numpy]\n'],
    ['conda-gpu.yml', 'conda', 'dependencies: [numpy]\n'],
    ['web/package-lock.json', 'npm', '{"lockfileVersion": 3, "packages": {}}'],
    ['npm-shrinkwrap.json', 'npm', '{"lockfileVersion": 1, "dependencies": {}}'],
  ])('%s → %s', (path, format, text) => {
    expect(parseLockfile(path, text)?.format).toBe(format);
  });

  it('an empty requirements.txt locks nothing; an empty generic .txt is not pip freeze', () => {
    expect(parseLockfile('requirements.txt', '')?.packages.size).toBe(0);
    expect(parseLockfile('frozen.txt', '')).toBeNull();
    expect(parseLockfile('frozen.txt', '# only comments\n-r base.txt\n')).toBeNull();
  });

  it('unknown formats → null', () => {
    expect(
      parseLockfile('notes.txt', 'Remember to retrain the model after the holidays.\nAsk Bob.\n'),
    ).toBeNull();
    expect(parseLockfile('notes.txt', 'numpy is at 1.26 now\n')).toBeNull();
    expect(
      parseLockfile('Gemfile.lock', 'GEM\n  remote: https://rubygems.org/\n  specs:\n    rake (13.1.0)\n'),
    ).toBeNull();
    expect(
      parseLockfile('Cargo.lock', 'version = 3\n\n[[package]]\nname = "serde"\nversion = "1.0.0"\n'),
    ).toBeNull();
    expect(parseLockfile('yarn.lock', 'lodash@^4.17.21:\n  version "4.17.21"\n')).toBeNull();
    expect(parseLockfile('Dockerfile', 'FROM python:3.11\n')).toBeNull();
  });

  it('malformed TOML, YAML and JSON → null, never a throw', () => {
    expect(parseLockfile('uv.lock', 'version = 1\n[[package]\nname = "numpy"\n')).toBeNull();
    expect(parseLockfile('uv.lock', '[project]\nname = "not-a-lock"\n')).toBeNull(); // TOML, but no lock version
    expect(parseLockfile('uv.lock', 'version = 1\npackage = "numpy"\n')).toBeNull();
    expect(parseLockfile('uv.lock', 'version = 1\n[[package]]\nversion = "1.0"\n')).toBeNull(); // no name
    expect(parseLockfile('poetry.lock', '[[package]]\nname = "numpy"\nversion = "1.26.2\n')).toBeNull();
    expect(parseLockfile('poetry.lock', poetryBefore.slice(0, 200))).toBeNull();
    expect(parseLockfile('Pipfile.lock', '{"default": {"numpy": {"version": "==1.0"}')).toBeNull();
    expect(parseLockfile('Pipfile.lock', '[1, 2, 3]')).toBeNull();
    expect(parseLockfile('Pipfile.lock', '{"default": {"numpy": 3}}')).toBeNull();
    expect(parseLockfile('environment.yml', 'dependencies: [numpy=1.26\n')).toBeNull();
    expect(
      parseLockfile('environment.yml', 'dependencies:\n  - numpy\ndependencies:\n  - scipy\n'),
    ).toBeNull();
    expect(parseLockfile('environment.yml', 'name: env\ndependencies:\n\t- numpy\n')).toBeNull();
    expect(parseLockfile('environment.yml', 'dependencies: numpy\n')).toBeNull();
    expect(parseLockfile('environment.yml', 'dependencies:\n  - 3.11\n')).toBeNull();
    expect(parseLockfile('environment.yml', 'dependencies:\n  - pip: [ "not a requirement" ]\n')).toBeNull();
    expect(parseLockfile('environment.yml', '- just\n- a list\n')).toBeNull();
    expect(parseLockfile('environment.yml', 'name: env\n---\nname: other\n')).toBeNull();
    expect(parseLockfile('package-lock.json', npmBefore.slice(0, -20))).toBeNull();
    expect(parseLockfile('package-lock.json', '{"packages": {}}')).toBeNull(); // no lockfileVersion
    expect(
      parseLockfile('package-lock.json', '{"lockfileVersion": 3, "packages": {"node_modules/a": 1}}'),
    ).toBeNull();
    expect(parseLockfile('package-lock.json', '{"lockfileVersion": 1, "dependencies": []}')).toBeNull();
    expect(parseLockfile('requirements.txt', 'numpy==1.26\nthis is not a requirement\n')).toBeNull();
  });

  it('a YAML alias bomb is refused, not expanded', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(
        `${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`,
      );
    }
    levels.push('dependencies: *i');
    expect(parseLockfile('environment.yml', levels.join('\n'))).toBeNull();
  });

  it('inputs over 20 MB are refused; the size is counted in UTF-8 bytes', () => {
    expect(MAX_LOCKFILE_BYTES).toBe(20 * 1024 * 1024);
    const line = 'numpy==1.26.2\n';
    const big = line.repeat(Math.ceil((MAX_LOCKFILE_BYTES + 1) / line.length));
    expect(parseLockfile('requirements.txt', big)).toBeNull();
    // 7.1 million "€" are 21.3 MB in UTF-8 although only 7.1 million UTF-16 code units.
    expect(parseLockfile('requirements.txt', `# ${'€'.repeat(7_100_000)}\nnumpy==1.0\n`)).toBeNull();
    // 8 million "é" are 16 MB: under the limit, so parsed.
    expect(parseLockfile('requirements.txt', `# ${'é'.repeat(8_000_000)}\nnumpy==1.0\n`)?.packages).toEqual(
      new Map([['numpy', '1.0']]),
    );
  });

  it('a v1 tree is walked without recursion, within a budget for its nested keys', () => {
    const chain = (depth: number) => {
      let deps = '{}';
      for (let i = 0; i < depth; i++) deps = `{"p${i}": {"version": "1.0.${i}", "dependencies": ${deps}}}`;
      return `{"lockfileVersion": 1, "dependencies": ${deps}}`;
    };
    const walked = parsed('package-lock.json', chain(200)).packages;
    expect(walked.size).toBe(200);
    expect(walked.get('p199')).toBe('1.0.199');
    expect(walked.get(`${Array.from({ length: 200 }, (_, i) => `p${199 - i}`).join('/node_modules/')}`)).toBe(
      '1.0.0',
    );
    // 5,000 levels would build ~200 MB of keys from ~100 kB of input: refused instead.
    expect(parseLockfile('package-lock.json', chain(5000))).toBeNull();
  });
});

describe('requirement lines', () => {
  it.each([
    ['numpy==1.26.0', 'numpy', '1.26.0'],
    ['Foo.Bar__baz-Qux==1', 'foo-bar-baz-qux', '1'],
    ['requests[security,socks]==2.31.0', 'requests', '2.31.0'],
    ['requests [security] == 2.31.0', 'requests', '2.31.0'],
    ['arbitrary===1.0-custom', 'arbitrary', '1.0-custom'],
    ['pywin32==306 ; sys_platform == "win32"', 'pywin32', '306'],
    ['pywin32==306;sys_platform=="win32"', 'pywin32', '306'],
    ['numpy>=1.2,<2', 'numpy', '>=1.2,<2'],
    ['numpy >= 1.2, < 2', 'numpy', '>=1.2,<2'],
    ['numpy (>=1.2)', 'numpy', '>=1.2'],
    ['numpy~=1.26', 'numpy', '~=1.26'],
    ['numpy==1.*', 'numpy', '==1.*'],
    ['numpy!=1.25.0', 'numpy', '!=1.25.0'],
    ['numpy', 'numpy', '*'],
    ['torch==2.1.2+cu121', 'torch', '2.1.2+cu121'],
    ['numpy==1.26.0  # pinned for the ABI', 'numpy', '1.26.0'],
    ['numpy==1.26.0 --hash=sha256:abc --hash sha256:def', 'numpy', '1.26.0'],
    [
      'torch @ https://download.pytorch.org/whl/torch-2.1.2.whl',
      'torch',
      'https://download.pytorch.org/whl/torch-2.1.2.whl',
    ],
    ['torch@https://x.org/t.whl ; python_version>"3.8"', 'torch', 'https://x.org/t.whl'],
    [
      'pkg @ git+https://github.com/a/b.git@v1.2#subdirectory=py',
      'pkg',
      'git+https://github.com/a/b.git@v1.2#subdirectory=py',
    ],
    [
      '-e git+https://github.com/a/b.git@abc#egg=My_Pkg',
      'my-pkg',
      'git+https://github.com/a/b.git@abc#egg=My_Pkg',
    ],
    ['--editable=git+https://x.org/y.git#egg=pkg', 'pkg', 'git+https://x.org/y.git#egg=pkg'],
    ['git+https://github.com/a/b.git@v1#egg=b-pkg', 'b-pkg', 'git+https://github.com/a/b.git@v1#egg=b-pkg'],
    ['https://x.org/src.zip#sha1=abc&egg=thing', 'thing', 'https://x.org/src.zip#sha1=abc&egg=thing'],
  ])('%s → %s %s', (line, name, version) => {
    expect(parseRequirementLine(line)).toMatchObject({ kind: 'package', name, version });
  });

  it.each([
    '',
    '   ',
    '# a comment',
    '-r other.txt',
    '-c constraints.txt',
    '--index-url https://pypi.org/simple',
    '-i https://pypi.org/simple',
    '--extra-index-url https://download.pytorch.org/whl/cu121',
    '--find-links ./wheels',
    '--no-binary :all:',
    '--hash=sha256:abc',
    '-e .',
    '-e ./libs/shared[dev]',
    '.',
    './downloads/numpy-1.26.0.tar.gz',
    'https://x.org/pkg-1.0.tar.gz',
  ])('%j is skipped', (line) => {
    expect(parseRequirementLine(line)).toEqual({ kind: 'skip' });
  });

  it.each(['This is a note', 'numpy=1.26', 'numpy==', 'numpy >> 2', 'torch @', '(numpy)'])(
    '%j is invalid',
    (line) => {
      expect(parseRequirementLine(line)).toEqual({ kind: 'invalid' });
    },
  );

  it('joins continuations, handles CRLF, ends a continuation at a comment line', () => {
    const text = [
      'numpy==1.26.0 \\',
      '    --hash=sha256:aaaa \\',
      '    --hash=sha256:bbbb',
      '    # via pandas',
      'scipy==1.11.4 \\',
      '# a comment ends the continuation',
      'Six==1.16.0',
    ].join('\r\n');
    expect(parseLockfile('requirements.txt', text)?.packages).toEqual(
      new Map([
        ['numpy', '1.26.0'],
        ['scipy', '1.11.4'],
        ['six', '1.16.0'],
      ]),
    );
  });

  it('a name listed twice (e.g. under different markers) keeps both versions in natural order', () => {
    const text = [
      'numpy==1.26.4; python_version >= "3.9"',
      'numpy==1.24.4; python_version < "3.9"',
      'foo==1.10',
      'foo==1.9',
      'foo==1.9',
    ].join('\n');
    expect(parseLockfile('requirements.txt', text)?.packages).toEqual(
      new Map([
        ['numpy', '1.24.4 | 1.26.4'],
        ['foo', '1.9 | 1.10'],
      ]),
    );
  });
});

describe('conda', () => {
  it.each([
    ['numpy', 'numpy', '*'],
    ['python=3.11', 'python', '3.11'],
    ['python=3.11.*', 'python', '3.11.*'],
    ['numpy==1.26', 'numpy', '1.26'],
    ['numpy>=1.26,<2', 'numpy', '>=1.26,<2'],
    ['numpy >=1.26', 'numpy', '>=1.26'],
    ['numpy=1.26.0=py311h64a7726_0', 'numpy', '1.26.0=py311h64a7726_0'],
    ['numpy 1.26.0 py311h64a7726_0', 'numpy', '1.26.0=py311h64a7726_0'],
    ['numpy 1.26.0', 'numpy', '1.26.0'],
    ['conda-forge::pandas=2.1.0', 'pandas', '2.1.0'],
    ['conda-forge/label/dev::pandas==2.1.0', 'pandas', '2.1.0'],
    ["numpy[version='>=1.26']", 'numpy', '>=1.26'],
    ["pytorch[version='2.1.2', build='cuda118*']", 'pytorch', '2.1.2=cuda118*'],
    ['_libgcc_mutex=0.1=conda_forge', '_libgcc_mutex', '0.1=conda_forge'],
    ['PyYAML=6.0.1', 'pyyaml', '6.0.1'],
  ])('%s → %s %s', (spec, name, version) => {
    expect(parseMatchSpec(spec)).toEqual([name, version]);
  });

  it.each(['', '=1.0', 'numpy 1 2 3', 'numpy[version=1', 'numpy=', 'num@py'])(
    '%j is not a match spec',
    (spec) => {
      expect(parseMatchSpec(spec)).toBeNull();
    },
  );

  it('conda and pip installs of the same name are kept apart', () => {
    const text = 'dependencies:\n  - scikit-learn=1.3.2\n  - pip:\n    - scikit_learn==1.4.0\n    - -e .\n';
    expect(parseLockfile('environment.yml', text)?.packages).toEqual(
      new Map([
        ['scikit-learn', '1.3.2'],
        ['pip:scikit-learn', '1.4.0'],
      ]),
    );
  });

  it('conda-lock.yml: conda and pip packages, per-platform versions kept', () => {
    const text = [
      'version: 1',
      'metadata:',
      '  platforms: [linux-64, osx-arm64]',
      'package:',
      '  - {name: numpy, version: 1.26.2, manager: conda, platform: linux-64}',
      '  - {name: numpy, version: 1.26.2, manager: conda, platform: osx-arm64}',
      '  - {name: libblas, version: 3.9.0, manager: conda, platform: linux-64}',
      '  - {name: scikit_learn, version: 1.4.0, manager: pip, platform: linux-64}',
      '  - {name: tzdata, version: "2023c", manager: conda, platform: linux-64}',
      '  - {name: tzdata, version: "2024a", manager: conda, platform: osx-arm64}',
    ].join('\n');
    const result = parseLockfile('conda-lock.yml', text);
    expect(result?.format).toBe('conda');
    expect(result?.packages).toEqual(
      new Map([
        ['numpy', '1.26.2'],
        ['libblas', '3.9.0'],
        ['pip:scikit-learn', '1.4.0'],
        ['tzdata', '2023c | 2024a'],
      ]),
    );
  });
});

describe('npm', () => {
  it('v1 and v3 locks of the same tree give the same map', () => {
    const v1 = {
      lockfileVersion: 1,
      dependencies: {
        a: { version: '1.0.0', dependencies: { b: { version: '2.0.0' } } },
        b: { version: '1.0.0' },
        '@s/c': { version: '3.0.0', dependencies: { b: { version: '3.0.0' } } },
      },
    };
    const v3 = {
      lockfileVersion: 3,
      packages: {
        '': { name: 'root', version: '0.0.1' },
        'node_modules/a': { version: '1.0.0' },
        'node_modules/a/node_modules/b': { version: '2.0.0' },
        'node_modules/b': { version: '1.0.0' },
        'node_modules/@s/c': { version: '3.0.0' },
        'node_modules/@s/c/node_modules/b': { version: '3.0.0' },
      },
    };
    const a = parsed('package-lock.json', JSON.stringify(v1)).packages;
    const b = parsed('package-lock.json', JSON.stringify(v3)).packages;
    expect(a).toEqual(b);
    expect(diffPackages(a, b)).toEqual([]);
    expect(a.get('@s/c/node_modules/b')).toBe('3.0.0');
  });

  it('v2 prefers packages over the legacy dependencies; dangling links and workspace node_modules', () => {
    const v2 = {
      lockfileVersion: 2,
      packages: {
        '': { name: 'root' },
        'node_modules/x': { resolved: 'packages/x', link: true },
        'packages/y/node_modules/z': { version: '1.0.0' },
        'node_modules/git-dep': { resolved: 'git+ssh://git@github.com/o/r.git#abc' },
      },
      dependencies: { ignored: { version: '9.9.9' } },
    };
    expect(parsed('package-lock.json', JSON.stringify(v2)).packages).toEqual(
      new Map([
        ['x', 'link:packages/x'],
        ['packages/y/node_modules/z', '1.0.0'],
        ['git-dep', 'git+ssh://git@github.com/o/r.git#abc'],
      ]),
    );
  });
});

describe('uv and poetry edge cases', () => {
  it('a uv package without a version is described by its source', () => {
    const text = 'version = 1\n\n[[package]]\nname = "My_App"\nsource = { virtual = "." }\n';
    expect(parsed('uv.lock', text).packages).toEqual(new Map([['my-app', 'virtual:.']]));
  });

  it('a lock with no packages is an empty map', () => {
    expect(parsed('uv.lock', 'version = 1\nrequires-python = ">=3.11"\n').packages.size).toBe(0);
    expect(parsed('poetry.lock', '[metadata]\nlock-version = "2.0"\n').packages.size).toBe(0);
  });
});

describe('diffPackages', () => {
  it('sorts by name in code-unit order and omits unchanged packages', () => {
    const from = new Map([
      ['b', '1'],
      ['a', '1'],
      ['Z', '1'],
      ['same', '2'],
    ]);
    const to = new Map([
      ['same', '2'],
      ['c', '1'],
      ['a', '2'],
    ]);
    expect(diffPackages(from, to)).toEqual([
      removed('Z', '1'),
      changed('a', '1', '2'),
      removed('b', '1'),
      added('c', '1'),
    ]);
  });
});

describe('diffLines', () => {
  it('reports added and removed lines, order-insensitive', () => {
    expect(diffLines('a\nb\nc\n', 'c\nb\nd\n')).toEqual({ added: ['d'], removed: ['a'], truncated: false });
    expect(diffLines('a\nb\nc', 'c\r\na\r\n\r\nb   \r\n')).toEqual({
      added: [],
      removed: [],
      truncated: false,
    });
    expect(diffLines('', '')).toEqual({ added: [], removed: [], truncated: false });
  });

  it('has multiset semantics', () => {
    expect(diffLines('x\nx\ny', 'x\ny\ny')).toEqual({ added: ['y'], removed: ['x'], truncated: false });
    expect(diffLines('x', 'x\nx\nx')).toEqual({ added: ['x', 'x'], removed: [], truncated: false });
  });

  it('caps each list at max (200 by default) and says so', () => {
    const many = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const out = diffLines('keep\nold', `keep\n${many}`);
    expect(out.added).toHaveLength(200);
    expect(out.added[0]).toBe('line 0');
    expect(out.added[199]).toBe('line 199');
    expect(out.removed).toEqual(['old']);
    expect(out.truncated).toBe(true);
    expect(diffLines('a\nb\nc\nd', '', 3)).toEqual({ added: [], removed: ['a', 'b', 'c'], truncated: true });
    expect(diffLines('a\nb\nc', '', 3)).toEqual({ added: [], removed: ['a', 'b', 'c'], truncated: false });
    expect(diffLines('a', 'b', 0)).toEqual({ added: [], removed: [], truncated: true });
  });
});

describe('properties', () => {
  const versionsArb = fc.dictionary(
    fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
    fc.constantFrom('1.0', '1.1', '2.0', '*', '>=1,<2'),
    { maxKeys: 30 },
  );
  const toMap = (o: Record<string, string>) => new Map(Object.entries(o));

  function apply(base: Map<string, string>, changes: PackageChange[]): Map<string, string> {
    const out = new Map(base);
    for (const c of changes) {
      if (c.change === 'removed') out.delete(c.name);
      else out.set(c.name, c.to!);
    }
    return out;
  }

  it('diffPackages(a, a) is empty', () => {
    fc.assert(fc.property(versionsArb, (a) => diffPackages(toMap(a), toMap(a)).length === 0));
  });

  it('diffPackages(a, b) applied to a yields b, sorted, with no unchanged entries', () => {
    fc.assert(
      fc.property(versionsArb, versionsArb, (a, b) => {
        const from = toMap(a);
        const to = toMap(b);
        const changes = diffPackages(from, to);
        expect(apply(from, changes)).toEqual(to);
        for (let i = 1; i < changes.length; i++) expect(changes[i - 1]!.name < changes[i]!.name).toBe(true);
        for (const c of changes) {
          expect(c.from).toBe(from.get(c.name) ?? null);
          expect(c.to).toBe(to.get(c.name) ?? null);
          expect(c.from).not.toBe(c.to);
        }
      }),
    );
  });

  it('diffLines: the counts of added and removed lines account for the difference', () => {
    const textArb = fc
      .array(fc.constantFrom('a', 'b', 'c', 'dd', ''), { maxLength: 20 })
      .map((l) => l.join('\n'));
    fc.assert(
      fc.property(textArb, textArb, (x, y) => {
        const nonBlank = (t: string) => t.split('\n').filter((l) => l !== '').length;
        const { added: add, removed: rem, truncated } = diffLines(x, y, 1000);
        expect(truncated).toBe(false);
        expect(add.length - rem.length).toBe(nonBlank(y) - nonBlank(x));
        expect(add.filter((l) => rem.includes(l))).toEqual([]);
      }),
    );
  });

  const knownPaths = [
    'requirements.txt',
    'frozen.txt',
    'uv.lock',
    'poetry.lock',
    'Pipfile.lock',
    'environment.yml',
    'conda-lock.yml',
    'package-lock.json',
  ];
  const fixtures = [
    reqBefore,
    reqProdAfter,
    uvBefore,
    poetryAfter,
    pipfileBefore,
    condaAfter,
    npmBefore,
    npmV1After,
  ];

  it.each(knownPaths)('parseLockfile(%j, arbitrary string) never throws', (path) => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (text) => {
        const result = parseLockfile(path, text);
        expect(result === null || result.packages instanceof Map).toBe(true);
      }),
    );
  });

  it.each(knownPaths)('parseLockfile(%j, a damaged fixture) never throws', (path) => {
    const damaged = fc
      .tuple(fc.constantFrom(...fixtures), fc.nat(), fc.nat(), fc.string({ maxLength: 8 }))
      .map(([text, at, len, insert]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + (len % 40));
      });
    fc.assert(
      fc.property(damaged, (text) => {
        const result = parseLockfile(path, text);
        expect(result === null || result.packages instanceof Map).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
