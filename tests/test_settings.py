"""Settings read from the environment: the embedded default, production, and demo mode."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": "x7#production-secret-that-is-long-and-random-enough-9f2c1a8b7d6e5",
    "DJANGO_ALLOWED_HOSTS": "anju.example.gov.cn",
}


def login_request():
    """A login form's request: the login lockout counts failures per account and address."""
    return RequestFactory().post("/login/")


def run_manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ANJU_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_with_demo_passwords():
    result = run_manage("check", env={**PRODUCTION_ENV, "ANJU_DEMO": "True"})
    assert result.returncode != 0
    assert "ANJU_DEMO" in result.stderr


def test_the_default_secret_key_fails_the_deployment_check():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr


@pytest.mark.django_db
def test_demo_password_is_refused_outside_demo_mode(settings):
    UserFactory(username="office", password=settings.DEMO_PASSWORD)
    settings.ANJU_DEMO = False
    assert authenticate(login_request(), username="office", password=settings.DEMO_PASSWORD) is None
    settings.ANJU_DEMO = True
    assert (
        authenticate(login_request(), username="office", password=settings.DEMO_PASSWORD)
        is not None
    )


@pytest.mark.django_db
def test_other_passwords_work_whatever_the_mode(settings):
    UserFactory(username="clerk", password="a long and private passphrase")
    settings.ANJU_DEMO = False
    assert (
        authenticate(login_request(), username="clerk", password="a long and private passphrase")
        is not None
    )


def test_chinese_is_the_default_language(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"
