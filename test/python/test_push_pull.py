"""push and pull against the real registry: only missing blobs go up, a re-push reads metadata
only and uploads nothing, pulls are verified and atomic and never write outside their target,
`open` streams one file and checks it."""

from __future__ import annotations

import os
import time
import unittest
from unittest import mock

from support import MiB, ProxiedCase, fresh_name, needs_registry, random_file, tree

# isort: split
from cairn import CairnError
from cairn import client as cairn_client
from cairn.hashing import RACY_SECONDS


@needs_registry
class PushPull(ProxiedCase):
    def setUp(self) -> None:
        super().setUp()
        self.reg = self.client()

    def make_dataset(self, files: int = 30) -> str:
        root = self.scratch.join("data")
        for i in range(files):
            random_file(os.path.join(root, f"part-{i % 3}", f"chunk-{i}.bin"), 1000 + i * 37)
        self.scratch.file("data/empty.txt", b"")
        return root

    def test_push_uploads_what_is_missing_and_pull_gives_it_back(self) -> None:
        data = self.make_dataset()
        # Files written within 2 s of their hashing are not cached ("racily clean", as git says).
        time.sleep(RACY_SECONDS + 0.1)
        name = fresh_name("data")
        first = self.reg.push(data, name, kind="dataset", tags=["latest"], code="none", lockfiles=None)
        self.assertTrue(first.created)
        self.assertEqual((first.version, first.files), (1, 31))
        self.assertEqual(first.upload.blobs, 31)
        self.assertGreaterEqual(first.upload.uploaded_blobs, 30)  # the empty blob may be stored already
        self.assertEqual(self.proxy.count("PUT", r"^/v1/blobs/"), first.upload.uploaded_blobs)
        self.assertEqual(self.proxy.count("POST", r"^/v1/blobs/check$"), 1)

        # Unchanged: one check round trip, nothing uploaded, no file read, the same version.
        self.proxy.reset()
        with mock.patch.object(cairn_client, "hash_file", side_effect=AssertionError("read a cached file")):
            again = self.reg.push(data, name, kind="dataset", tags=["latest"], code="none", lockfiles=None)
        self.assertEqual((again.version, again.digest, again.created), (1, first.digest, False))
        self.assertEqual(again.upload.uploaded_bytes, 0)
        self.assertEqual(self.proxy.count("PUT", r"^/v1/blobs/"), 0)
        self.assertEqual(self.proxy.count("POST", r"^/v1/blobs/check$"), 1)

        # One file changes: only it goes up.
        random_file(os.path.join(data, "part-0", "chunk-0.bin"), 5000)
        self.proxy.reset()
        second = self.reg.push(data, name, kind="dataset", tags=["latest"], code="none", lockfiles=None)
        self.assertEqual(second.version, 2)
        self.assertEqual(self.proxy.count("PUT", r"^/v1/blobs/"), 1)
        self.assertEqual(second.upload.uploaded_bytes, 5000)

        out = self.scratch.join("out")
        pulled = self.reg.pull(f"{name}@1", out)
        self.assertEqual((pulled.downloaded, pulled.skipped), (31, 0))
        self.assertNotEqual(tree(out), tree(data))  # v1 had the old chunk-0
        pulled = self.reg.pull(f"{name}:latest", out)
        self.assertEqual((pulled.version, pulled.downloaded, pulled.skipped), (2, 1, 30))
        self.assertEqual(tree(out), tree(data))

    def test_pull_verifies_while_streaming_and_leaves_nothing_on_a_mismatch(self) -> None:
        name = fresh_name("model")
        self.reg.push(self.scratch.file("model.bin", os.urandom(3 * MiB)), name, code="none", lockfiles=None)
        out = self.scratch.join("out")
        self.proxy.tamper = lambda method, path: path.startswith("/v1/blobs/")
        with self.assertRaises(CairnError) as caught:
            self.reg.pull(f"{name}@1", out)
        self.assertEqual(caught.exception.code, "VERIFY_FAILED")
        self.assertEqual(os.listdir(out), [], "no file, no temp file")

        with self.reg.open(f"{name}@1", "model.bin") as f, self.assertRaises(CairnError) as caught:
            f.read()
        self.assertEqual(caught.exception.code, "VERIFY_FAILED")

    def test_open_streams_one_file(self) -> None:
        name = fresh_name("data")
        data = self.make_dataset(5)
        self.reg.push(data, name, code="none", lockfiles=None)
        with self.reg.open(f"{name}@1", "part-1/chunk-1.bin") as f:
            self.assertEqual(f.read(10), tree(data)["part-1/chunk-1.bin"][:10])
            rest = f.read()
        self.assertEqual(len(rest), 1037 - 10)
        with self.assertRaises(CairnError) as caught:
            self.reg.open(f"{name}@1", "no/such.bin")
        self.assertEqual((caught.exception.status, caught.exception.code), (404, "NOT_FOUND"))

    def test_pull_refuses_a_directory_that_leads_outside_the_target(self) -> None:
        name = fresh_name("data")
        self.reg.push(self.make_dataset(3), name, code="none", lockfiles=None)
        out, elsewhere = self.scratch.join("out"), self.scratch.join("elsewhere")
        os.makedirs(out)
        os.makedirs(elsewhere)
        os.symlink(elsewhere, os.path.join(out, "part-0"))
        with self.assertRaises(CairnError) as caught:
            self.reg.pull(f"{name}@1", out)
        self.assertEqual(caught.exception.code, "PATH_UNSAFE")
        self.assertEqual(os.listdir(elsewhere), [])

    def test_paths_outside_the_target_are_refused_before_writing(self) -> None:
        from cairn.download import safe_join

        root = self.scratch.join("root")
        for bad in ("../x", "/etc/passwd", "a/../../x", "a//b", "./a", "a\\b", "C:x", ""):
            with self.assertRaises(CairnError, msg=bad) as caught:
                safe_join(root, bad)
            self.assertEqual(caught.exception.code, "PATH_UNSAFE")
        self.assertEqual(safe_join(root, "a/b.txt"), os.path.join(root, "a", "b.txt"))


if __name__ == "__main__":
    unittest.main()
