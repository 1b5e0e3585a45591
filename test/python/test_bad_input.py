"""Bad input, end to end: a wrong token, an unknown ref, a file that changes while it uploads, a
multipart push interrupted (a dropped connection, then Ctrl-C) and resumed. Every failure is
one CairnError carrying the registry's status, code, details and request id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import unittest
from unittest import mock

from support import CLIENT_DIR, TOKEN, URL, MiB, ProxiedCase, fresh_name, needs_registry, random_file

# isort: split
from cairn import CairnError, Registry

PARTS = r"^/v1/uploads/upl_[\w-]+/parts/\d+$"
SMALL_PARTS = {"multipart_threshold": 5 * MiB, "part_size": 5 * MiB}


@needs_registry
class BadInput(ProxiedCase):
    def test_a_wrong_token_is_401_with_the_request_id(self) -> None:
        with (
            Registry(URL, "cairn_not_a_token", progress=False) as reg,
            self.assertRaises(CairnError) as caught,
        ):
            reg.push(self.scratch.file("a.txt", b"a"), fresh_name("x"), code="none", lockfiles=None)
        err = caught.exception
        self.assertEqual((err.status, err.code), (401, "UNAUTHORIZED"))
        self.assertRegex(err.request_id or "", r"^[0-9a-f-]{36}$")
        self.assertIn(err.request_id or "-", str(err))

    def test_an_unknown_ref_is_404_with_its_code(self) -> None:
        reg = self.client()
        name = fresh_name("never")
        for call in (lambda: reg.resolve(name), lambda: reg.pull(f"{name}@3", self.scratch.path)):
            with self.assertRaises(CairnError) as caught:
                call()
            self.assertEqual(caught.exception.status, 404)
            self.assertIn(caught.exception.code, ("ARTIFACT_UNKNOWN", "TAG_UNKNOWN", "VERSION_UNKNOWN"))
            self.assertTrue(caught.exception.request_id)
        with self.assertRaises(CairnError) as caught:
            reg.push(
                self.scratch.file("m.bin", b"m"), fresh_name("m"), inputs=[f"{name}:latest"], code="none"
            )
        self.assertEqual((caught.exception.status, caught.exception.code), (422, "REF_UNKNOWN"))

    def test_malformed_arguments_fail_before_any_request(self) -> None:
        reg = self.client()
        for call in (
            lambda: reg.resolve("not a ref"),
            lambda: reg.push(self.scratch.path, "NoSlash"),
            lambda: reg.push(self.scratch.join("missing"), "acme/x"),
            lambda: reg.explain("acme/x@1"),
        ):
            with self.assertRaises(CairnError) as caught:
                call()
            self.assertEqual((caught.exception.status, caught.exception.code), (0, "USAGE"))
        self.assertEqual(self.proxy.requests, [])
        with (
            mock.patch.dict(os.environ, {"CAIRN_URL": "", "XDG_CONFIG_HOME": self.scratch.path}),
            self.assertRaises(CairnError) as caught,
        ):
            Registry()
        self.assertEqual(caught.exception.code, "USAGE")

    def test_a_lost_compare_and_swap_is_a_tag_conflict(self) -> None:
        reg = self.client()
        name = fresh_name("model")
        v1 = reg.push(self.scratch.file("m1", b"1"), name, code="none", lockfiles=None)
        v2 = reg.push(self.scratch.file("m2", b"2"), name, code="none", lockfiles=None)
        reg.promote(f"{name}@1", "production", expect=None)
        with self.assertRaises(CairnError) as caught:
            reg.promote(f"{name}@2", "production", expect=v2.digest)
        err = caught.exception
        self.assertEqual((err.status, err.code, err.details["current"]), (409, "TAG_CONFLICT", v1.digest))
        self.assertEqual(reg.promote(f"{name}@2", "production")["previous"], v1.digest)

    def test_a_file_changed_while_it_uploads_is_refused_and_nothing_is_published(self) -> None:
        reg = self.client()
        name = fresh_name("data")
        path = random_file(self.scratch.join("big.bin"), 32 * MiB)

        def rewrite_tail(method: str, where: str) -> None:
            if method == "PUT" and where.startswith("/v1/blobs/"):
                with open(path, "r+b") as f:  # same size, other bytes, after it was hashed
                    f.seek(-MiB, os.SEEK_END)
                    f.write(os.urandom(MiB))

        self.proxy.before = rewrite_tail
        with self.assertRaises(CairnError) as caught:
            reg.push(path, name, code="none", lockfiles=None)
        err = caught.exception
        self.assertEqual((err.status, err.code), (400, "DIGEST_MISMATCH"))
        self.assertIn("changed while it was being pushed", err.message)
        self.assertEqual(err.details["path"], path)
        self.assertEqual(self.proxy.count("POST", r"/versions$"), 0)

        # A file that shrinks fails at once on the client, instead of leaving the server waiting.
        def truncate(method: str, where: str) -> None:
            if method == "PUT" and where.startswith("/v1/blobs/"):
                os.truncate(path, MiB)

        self.proxy.before = truncate
        random_file(path, 32 * MiB)
        with self.assertRaises(CairnError) as caught:
            reg.push(path, name, code="none", lockfiles=None)
        self.assertEqual(caught.exception.code, "FILE_CHANGED")

        # Pushed again once it is stable: the changed bytes are hashed anew (ctime moved).
        self.proxy.before = None
        published = reg.push(path, name, code="none", lockfiles=None)
        self.assertEqual((published.version, published.bytes), (1, MiB))

    def test_a_multipart_push_cut_off_mid_way_resumes_with_the_missing_parts(self) -> None:
        path = random_file(self.scratch.join("model.bin"), 12 * MiB)  # 3 parts of 5 MiB
        name = fresh_name("model")
        reg = self.client(**SMALL_PARTS)
        # The connection drops on every try of part 2: the push gives up with a network error.
        self.proxy.drop = lambda method, where: method == "PUT" and where.endswith("/parts/2")
        with self.assertRaises(CairnError) as caught:
            reg.push(path, name, kind="model", code="none", lockfiles=None)
        self.assertEqual((caught.exception.status, caught.exception.code), (0, "NETWORK_ERROR"))
        self.assertEqual(self.proxy.count("PUT", r"^/v1/blobs/"), 0, "never one PUT above the threshold")
        self.assertEqual(self.proxy.count("POST", r"/complete$"), 0)

        self.proxy.reset()
        published = reg.push(path, name, kind="model", code="none", lockfiles=None)
        self.assertEqual(published.upload.resumed_parts, 1)
        sent = [int(r.path.rsplit("/", 1)[1]) for r in self.proxy.matching("PUT", PARTS)]
        self.assertEqual(sent, [2, 3], "only the missing parts, in order")
        self.assertEqual(published.upload.uploaded_bytes, 7 * MiB)
        with reg.open(f"{name}@1", "model.bin") as f, open(path, "rb") as original:
            self.assertEqual(f.read(), original.read())

    def test_ctrl_c_stops_a_push_and_running_it_again_resumes(self) -> None:
        path = random_file(self.scratch.join("model.bin"), 17 * MiB)  # 4 parts of 5 MiB
        name = fresh_name("model")
        script = (
            "import sys; from cairn import Registry\n"
            f"Registry(sys.argv[1], sys.argv[2], multipart_threshold={5 * MiB}, part_size={5 * MiB})"
            ".push(sys.argv[3], sys.argv[4], code='none', lockfiles=None)\n"
        )
        env = {**os.environ, "PYTHONPATH": CLIENT_DIR}
        child = subprocess.Popen(
            [sys.executable, "-c", script, self.proxy.url, TOKEN, path, name],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        stored = []

        def after(request: object) -> None:
            if request.method == "PUT" and request.status == 200 and "/parts/" in request.path:
                stored.append(request)
                if len(stored) == 2:
                    child.send_signal(signal.SIGINT)

        self.proxy.after = after
        _, stderr = child.communicate(timeout=120)
        self.assertNotEqual(child.returncode, 0)
        self.assertIn("KeyboardInterrupt", stderr)
        self.assertEqual(self.proxy.count("POST", r"/complete$"), 0)

        self.proxy.reset()
        published = self.client(**SMALL_PARTS).push(path, name, code="none", lockfiles=None)
        self.assertGreaterEqual(published.upload.resumed_parts, 2)
        sent = [int(r.path.rsplit("/", 1)[1]) for r in self.proxy.matching("PUT", PARTS)]
        self.assertEqual(len(sent), 4 - published.upload.resumed_parts)
        self.assertEqual(sent, sorted(sent))


if __name__ == "__main__":
    unittest.main()
