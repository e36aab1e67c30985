"""Production settings pass Django's deployment checks; every page carries a strict CSP."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_environment():
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "DEBUG", "DJANGO_", "SECRET_KEY", "ALLOWED_HOSTS"))
    }
    env.update(
        DEBUG="False", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="collectio.example.fr"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_carry_a_content_security_policy_without_inline_code(client, world):
    client.force_login(world.agent)
    for url in (reverse("workspace:list"), reverse("account"), reverse("login")):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe" not in policy


def test_page_templates_hold_no_inline_script_style_or_handler():
    """What the CSP would block: inline <script>, style="", <style>, onclick=… (letters are
    rendered to PDF by WeasyPrint, not served to browsers)."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.I)
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if "letters" not in path.parts and inline.search(path.read_text())
    ]
    assert offenders == []
