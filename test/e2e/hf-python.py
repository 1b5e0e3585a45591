"""
The real Python `huggingface_hub` against Cairn's `/hf`, one phase per run, driven by
test/e2e/hf-python.test.mjs (which counts what travels through its proxy and checks the result
natively). Every phase asserts what the library returns and prints one JSON line, its result.

  python3 hf-python.py <phase> <workdir>
  env: HF_ENDPOINT (…/hf), HF_TOKEN (hf_<cairn token>), HF_HOME (a scratch cache)

Phases: upload, config-only, multipart, download, errors, dataset.
"""

import hashlib
import inspect
import json
import os
import sys

import filelock

# Debian bookworm ships filelock 3.9, below the library's ">=3.10" (setup.py): 3.10 added the
# `mode` argument (lock file permissions), which `WeakFileLock` passes. Only the lock file's mode
# differs; nothing the server sees changes.
if "mode" not in inspect.signature(filelock.FileLock.__init__).parameters:

    class _FileLock(filelock.FileLock):
        def __init__(self, lock_file, timeout=-1, mode=None, **kwargs):
            super().__init__(lock_file, timeout=timeout, **kwargs)

    filelock.FileLock = _FileLock

import huggingface_hub  # noqa: E402
from huggingface_hub import (  # noqa: E402
    CommitOperationAdd,
    CommitOperationDelete,
    HfApi,
    HfFileSystem,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (  # noqa: E402
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils._runtime import is_xet_available  # noqa: E402

MODEL = "acme/py-model"
DATASET = "acme/py-data"
MiB = 1024 * 1024

phase, work = sys.argv[1], sys.argv[2]
api = HfApi(endpoint=os.environ["HF_ENDPOINT"], token=os.environ["HF_TOKEN"])
folder = os.path.join(work, "model")
state_file = os.path.join(work, "state.json")


def sha(data):
    return hashlib.sha256(data).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def state():
    with open(state_file) as f:
        return json.load(f)


def save(**kv):
    s = state() if os.path.exists(state_file) else {}
    s.update(kv)
    with open(state_file, "w") as f:
        json.dump(s, f)


def expect_error(cls, fn):
    try:
        fn()
    except cls as e:
        return e
    raise AssertionError(f"expected {cls.__name__}")


def upload():
    # Not a test of hf_xet: without it the library takes the LFS path, the one Cairn speaks.
    assert not is_xet_available(), "hf_xet is installed: this suite tests the LFS path"
    url = api.create_repo(MODEL)
    again = api.create_repo(MODEL, exist_ok=True)
    assert url.repo_id == again.repo_id == MODEL, (url, again)
    me = api.whoami()
    assert me["auth"]["accessToken"]["role"] == "write", me
    write(os.path.join(folder, "config.json"), b'{"layers": 2}')
    write(os.path.join(folder, "model.safetensors"), os.urandom(4 * MiB))
    info = api.upload_folder(folder_path=folder, repo_id=MODEL, commit_message="first")
    assert len(info.oid) == 40, info
    save(first=info.oid)
    return {"commit": info.oid, "version": huggingface_hub.__version__}


def config_only():
    # The whole folder again with only the config changed: the weights must not travel again.
    write(os.path.join(folder, "config.json"), b'{"layers": 3}')
    info = api.upload_folder(
        folder_path=folder, repo_id=MODEL, commit_message="config only", parent_commit=state()["first"]
    )
    save(second=info.oid)
    assert info.oid != state()["first"]
    return {"commit": info.oid}


def multipart():
    big = os.urandom(70 * MiB)  # above one 64 MiB part: the Hub's multipart transfer
    write(os.path.join(work, "big.bin"), big)
    info = api.upload_file(path_or_fileobj=os.path.join(work, "big.bin"), path_in_repo="shards/big.bin", repo_id=MODEL)
    save(third=info.oid)
    return {"commit": info.oid, "sha256": sha(big)}


def download():
    s = state()
    files = api.list_repo_files(MODEL)
    assert files == ["config.json", "model.safetensors", "shards/big.bin"], files
    for name in ["config.json", "model.safetensors"]:
        got = read(hf_hub_download(MODEL, name))
        assert got == read(os.path.join(folder, name)), name
    assert sha(read(hf_hub_download(MODEL, "shards/big.bin"))) == sha(read(os.path.join(work, "big.bin")))
    # Older revisions: by commit id and by Cairn version number.
    assert read(hf_hub_download(MODEL, "config.json", revision=s["first"])) == b'{"layers": 2}'
    assert read(hf_hub_download(MODEL, "config.json", revision="2")) == b'{"layers": 3}'
    snap = snapshot_download(MODEL)
    for name in files:
        assert read(os.path.join(snap, name)) == read(hf_hub_download(MODEL, name)), name
    assert snap.endswith(s["third"]), snap  # the cache's snapshot folder is the commit id
    old = snapshot_download(MODEL, revision=s["first"])
    assert sorted(os.listdir(old)) == ["config.json", "model.safetensors"], os.listdir(old)

    info = api.model_info(MODEL, files_metadata=True)
    assert info.id == MODEL and info.sha == s["third"], info
    sizes = {f.rfilename: f.size for f in info.siblings}
    assert sizes == {"config.json": 13, "model.safetensors": 4 * MiB, "shards/big.bin": 70 * MiB}, sizes
    big = next(f for f in info.siblings if f.rfilename == "shards/big.bin")
    assert big.lfs.sha256 == sha(read(os.path.join(work, "big.bin"))), big
    first = api.repo_info(MODEL, revision=s["first"])
    assert first.sha == s["first"] and len(first.siblings) == 2, first
    by_number = api.repo_info(MODEL, revision="2")
    assert by_number.sha == s["second"], by_number
    tree = [e.path for e in api.list_repo_tree(MODEL, recursive=True)]
    assert tree == ["config.json", "model.safetensors", "shards", "shards/big.bin"], tree
    assert api.file_exists(MODEL, "config.json") and not api.file_exists(MODEL, "nope.json")
    paths = api.get_paths_info(MODEL, ["config.json", "shards", "nope"])
    assert [(type(p).__name__, p.path) for p in paths] == [("RepoFile", "config.json"), ("RepoFolder", "shards")]
    history = api.list_repo_commits(MODEL)
    assert [c.commit_id for c in history] == [s["third"], s["second"], s["first"]], history
    assert history[1].title == "config only", history[1]
    refs = api.list_repo_refs(MODEL)
    assert [(b.name, b.target_commit) for b in refs.branches] == [("main", s["third"])], refs
    # HfFileSystem (what `datasets` reads repos through): tree, paths-info and resolve.
    fs = HfFileSystem()
    assert fs.ls(MODEL, detail=False) == [f"{MODEL}/config.json", f"{MODEL}/model.safetensors", f"{MODEL}/shards"]
    assert fs.info(f"{MODEL}/shards/big.bin")["size"] == 70 * MiB
    assert fs.cat(f"{MODEL}/config.json") == b'{"layers": 3}'
    return {"files": files, "sha": info.sha}


def errors():
    s = state()
    expect_error(RepositoryNotFoundError, lambda: api.model_info("acme/never-made"))
    expect_error(RepositoryNotFoundError, lambda: hf_hub_download("acme/never-made", "config.json"))
    expect_error(RevisionNotFoundError, lambda: api.repo_info(MODEL, revision="no-such-branch"))
    expect_error(RevisionNotFoundError, lambda: hf_hub_download(MODEL, "config.json", revision="0" * 40))
    expect_error(EntryNotFoundError, lambda: hf_hub_download(MODEL, "nope.json"))
    # A model is not a dataset.
    expect_error(RepositoryNotFoundError, lambda: api.dataset_info(MODEL))
    def refused(cls, operation, **more):
        return expect_error(
            cls,
            lambda: api.create_commit(repo_id=MODEL, operations=[operation], commit_message="refused", **more),
        )

    # A commit against a stale parent is refused, and nothing moves.
    stale = refused(HfHubHTTPError, CommitOperationAdd("config.json", b'{"layers": 9}'), parent_commit=s["first"])
    assert stale.response.status_code == 409, stale
    assert api.model_info(MODEL).sha == s["third"]
    # Deleting a file that is not there is refused.
    missing = refused(EntryNotFoundError, CommitOperationDelete("nope.json"))
    assert missing.response.status_code == 404, missing
    # A card whose metadata is not YAML is refused before anything is uploaded.
    card = refused(ValueError, CommitOperationAdd("README.md", b"---\nlicense: [mit\n---\n"))
    assert "Invalid metadata in README.md" in str(card), card
    # A bad token is an authentication error, not a missing repository.
    bad = HfApi(endpoint=os.environ["HF_ENDPOINT"], token="hf_cairn_not-a-real-token")
    denied = expect_error(HfHubHTTPError, lambda: bad.model_info(MODEL))
    assert denied.response.status_code == 401 and not isinstance(denied, RepositoryNotFoundError), denied
    return {"ok": True}


def dataset():
    api.create_repo(DATASET, repo_type="dataset")
    csv = b"text,label\ngood,1\nbad,0\n"
    api.upload_file(path_or_fileobj=csv, path_in_repo="data/train.csv", repo_id=DATASET, repo_type="dataset")
    api.create_commit(
        repo_id=DATASET,
        repo_type="dataset",
        operations=[
            CommitOperationAdd("data/test.csv", b"text,label\nok,1\n"),
            CommitOperationAdd("README.md", b"---\nlicense: mit\ntask_categories: [text-classification]\n---\n# reviews\n"),
        ],
        commit_message="more",
    )
    info = api.create_commit(
        repo_id=DATASET,
        repo_type="dataset",
        operations=[CommitOperationDelete("README.md")],
        commit_message="no card",
    )
    assert api.list_repo_files(DATASET, repo_type="dataset") == ["data/test.csv", "data/train.csv"]
    assert read(hf_hub_download(DATASET, "data/train.csv", repo_type="dataset")) == csv
    snap = snapshot_download(DATASET, repo_type="dataset")
    assert read(os.path.join(snap, "data", "test.csv")) == b"text,label\nok,1\n"
    assert not os.path.exists(os.path.join(snap, "README.md"))
    assert HfFileSystem().ls(f"datasets/{DATASET}/data", detail=False) == [
        f"datasets/{DATASET}/data/test.csv",
        f"datasets/{DATASET}/data/train.csv",
    ]
    ds = api.dataset_info(DATASET)
    assert ds.id == DATASET and ds.sha == info.oid, ds
    expect_error(RepositoryNotFoundError, lambda: api.model_info(DATASET))
    return {"commit": info.oid}


PHASES = {
    "upload": upload,
    "config-only": config_only,
    "multipart": multipart,
    "download": download,
    "errors": errors,
    "dataset": dataset,
}

print(json.dumps(PHASES[phase]()))
