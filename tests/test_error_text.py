# SPDX-License-Identifier: EUPL-1.2
"""Errors in the user's language (services/error_text.py): every error text the code writes
has its French and Dutch, and the API and the command line answer in them."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys

import httpx
import pytest

from layers.catalogue import PROJECT_ROOT
from services.error_text import (
    catalogue,
    cli_language,
    fields,
    localise,
    template_of,
    translate,
)

PACKAGES = ("geo", "layers", "versioning", "linking", "services")
# the command line's lines for humans (services/cli/common.py), translated as errors are
SAID = {"say", "echo_err", "spoken", "progress_bar"}
ERRORS = {"InvalidInput", "NotFound", "Conflict", "Gone", "Unavailable", "MethodNotAllowed",
          "Unauthorized", "Forbidden", "TooManyRequests", "StrataError"}


def _template(node: ast.expr, counter: list[int], names: dict[str, list[ast.expr]]
              ) -> list[str]:
    """The templates an expression can write: a string, an f-string (its fields numbered
    in order), a sum of them, either branch of ``a if c else b``, or a name bound to them
    in the same module."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value.replace("{", "{{").replace("}", "}}")]
    if isinstance(node, ast.JoinedStr):
        out = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                out.append(str(value.value).replace("{", "{{").replace("}", "}}"))
            else:
                out.append(f"{{{counter[0]}}}")
                counter[0] += 1
        return ["".join(out)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _template(node.left, counter, names)
        right = _template(node.right, counter, names)
        return [a + b for a in left for b in right]
    if isinstance(node, ast.IfExp):
        return (_template(node.body, [counter[0]], names)
                + _template(node.orelse, [counter[0]], names))
    if isinstance(node, ast.Name):
        return [t for value in names.get(node.id, []) for t in _template(value, [0], names)]
    return []


def written_templates() -> dict[str, str]:
    """Every error text template of the code, with one place that writes it: the message
    and hint of every error raised, every ``hint=`` given to any call, every name bound to
    a hint; and every line the command line says to humans (``say``, ``echo_err``)."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names: dict[str, list[ast.expr]] = {}
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            names.setdefault(target.id, []).append(node.value)
            for node in ast.walk(tree):
                texts: list[ast.expr] = []
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                    if (name in ERRORS or name in SAID) and node.args:
                        texts.append(node.args[0])
                    texts += [k.value for k in node.keywords if k.arg == "hint"]
                elif isinstance(node, ast.Assign) and any(
                        isinstance(t, ast.Name) and "hint" in t.id.lower() for t in node.targets):
                    texts.append(node.value)
                where = f"{path.relative_to(PROJECT_ROOT)}:{getattr(node, 'lineno', 0)}"
                for text in texts:
                    for template in _template(text, [0], names):
                        if any(c.isalpha() for c in template.replace("{", "").replace("}", "")):
                            found.setdefault(template, where)
    return found


def test_every_error_text_of_the_code_has_its_french_and_dutch():
    """A new error message without its translations fails here (add it to
    services/error_messages.json: the English template as the code writes it, with {0},
    {1}... for its values)."""
    known = catalogue()
    missing = {t: where for t, where in written_templates().items() if t not in known}
    assert not missing, "no fr / nl for:\n" + "\n".join(
        f"  {where}: {json.dumps(t, ensure_ascii=False)}" for t, where in missing.items())
    # and the check sees the code: it finds the templates of hundreds of raise sites
    assert len(written_templates()) > 400


def test_each_translation_keeps_the_values_of_its_english():
    for en, translated in catalogue().items():
        assert set(translated) == {"fr", "nl"}, en
        for lang, text in translated.items():
            assert text.strip(), (en, lang)
            assert sorted(set(fields(text))) == sorted(set(fields(en))), (en, lang, text)
            text.format(*range(len(fields(en))))  # a valid template with the same fields


def test_a_text_is_found_from_its_template_with_its_values():
    text = "unknown query parameter(s): bboxx, limt"
    assert translate(text, "fr") == "paramètre(s) de requête inconnu(s) : bboxx, limt"
    assert translate(text, "nl") == "onbekende queryparameter(s): bboxx, limt"
    assert translate(text, "en") == text
    # the most literal template wins: this is not "{0} not found" with {0}="file"
    assert translate("file not found: a.gpkg", "nl") == "bestand niet gevonden: a.gpkg"
    assert translate("a text no template makes", "fr") is None
    body, said = localise({"code": "X", "description": "a text no template makes",
                           "hint": "check the path"}, "fr")
    assert said == "en" and body["hint"] == "vérifiez le chemin"


def test_the_command_line_language_follows_strata_lang_then_the_locale():
    assert cli_language({"STRATA_LANG": "nl", "LANG": "fr_BE.UTF-8"}) == "nl"
    assert cli_language({"LANG": "fr_BE.UTF-8"}) == "fr"
    assert cli_language({"LC_ALL": "nl_BE.UTF-8", "LANG": "fr_BE.UTF-8"}) == "nl"
    assert cli_language({"LANG": "C.UTF-8"}) == cli_language({}) == "en"
    assert cli_language({"LANG": "de_DE.UTF-8"}) == "en"


@pytest.mark.parametrize(("path", "params", "status", "fr", "nl"), [
    ("/tiles/WebMercatorQuad/10/343/524", {"datetime": "2016-13-01"}, 400,
     "n'est", "geen"),
    ("/collections/municipalities/tiles/WebMercatorQuad/25/0/0", {}, 404,
     "la matrice de tuiles 25 n'est pas dans WebMercatorQuad",
     "tegelmatrix 25 zit niet in WebMercatorQuad"),
    ("/collections/municipalities/items", {"limt": "5"}, 400,
     "paramètre(s) de requête inconnu(s) : limt", "onbekende queryparameter(s): limt"),
    ("/collections/municipalities/items/999999", {}, 404,
     "n'a pas d'objet", "heeft geen object"),
    ("/map", {"mode": "overlay"}, 400, "n'est pas un mode de comparaison",
     "is geen vergelijkingsmodus"),
])
def test_the_api_answers_errors_in_the_language_asked(service, path, params, status, fr, nl):
    english = httpx.get(f"{service}{path}", params=params, timeout=30)
    assert english.status_code == status and english.headers["content-language"] == "en"
    for lang, words in (("fr", fr), ("nl", nl)):
        by_header = httpx.get(f"{service}{path}", params=params, timeout=30,
                              headers={"Accept-Language": f"{lang}-BE,{lang};q=0.9"})
        by_param = httpx.get(f"{service}{path}", params={**params, "lang": lang}, timeout=30)
        for answer in (by_header, by_param):  # lang= is a parameter of every path
            assert answer.status_code == status
            body = answer.json()
            assert set(body) == {"code", "description", "hint"}
            assert words in body["description"], body
            assert body["hint"] != english.json()["hint"], body
            assert answer.headers["content-language"] == lang


@pytest.mark.parametrize("path", [
    "/collections/municipalities/download?date=2016-01-01&f=geojson",
    "/collections/municipalities/changes?from=2016-01-01&to=2021-03-01",
    "/collections/municipalities/tiles/WebMercatorQuad/10/343/524",
    "/tiles/WebMercatorQuad/10/343/524", "/collections/municipalities/editions",
])
def test_lang_is_a_parameter_of_every_path(service, path):
    assert httpx.get(f"{service}{path}&lang=nl" if "?" in path else f"{service}{path}?lang=nl",
                     timeout=60).status_code == 200
    wrong = httpx.get(f"{service}{path}", params={"lang": "de"}, timeout=60)
    assert wrong.status_code == 400 and "lang=fr" in wrong.json()["hint"]


def test_the_command_line_says_its_errors_in_the_language_of_the_locale(loaded, tmp_path):
    env = {**os.environ, **loaded.environ}
    for lang, words in (("fr", ("erreur : couche inconnue 'nowhere'", "conseil : couches")),
                        ("nl", ("fout: onbekende laag 'nowhere'", "tip: bekende lagen")),
                        ("en", ("error: unknown layer 'nowhere'", "hint: known layers"))):
        run = subprocess.run([sys.executable, "-m", "services.cli.main", "snapshot", "nowhere",
                              "--date", "2021-01-01", "-o", str(tmp_path / "x.gpkg")],
                             env={**env, "STRATA_LANG": lang}, capture_output=True, text=True,
                             timeout=120, check=False)
        assert run.returncode != 0
        assert all(w in run.stderr for w in words), run.stderr


@pytest.mark.parametrize(("lang", "words"), [
    ("fr", ("Utilisation : strata snapshot",
            "Essayez 'strata snapshot --help' pour obtenir de l'aide.",
            "Erreur : L'option '--fmt' n'existe pas. Vouliez-vous dire '--format' ?")),
    ("nl", ("Gebruik: strata snapshot", "Probeer 'strata snapshot --help' voor hulp.",
            "Fout: De optie '--fmt' bestaat niet. Bedoelde u '--format'?")),
    ("en", ("Usage: strata snapshot", "Try 'strata snapshot --help' for help.",
            "Error: No such option '--fmt'. Did you mean '--format'?")),
])
def test_click_says_a_bad_command_line_in_the_users_language(lang, words):
    """What click itself finds wrong in a command line (an unknown option, a missing one),
    its usage line and its help's headings, in the language of the command line."""
    def strata(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "services.cli.main", *args],
                              env={**os.environ, "STRATA_LANG": lang, "LANGUAGE": "de"},
                              capture_output=True, text=True, timeout=120, check=False)

    unknown = strata("snapshot", "municipalities", "--fmt", "x")
    assert unknown.returncode == 2
    assert all(w in unknown.stderr for w in words), unknown.stderr
    missing = strata("snapshot", "municipalities")
    assert missing.returncode == 2
    assert {"fr": "Erreur : Il manque l'option '--date'.",
            "nl": "Fout: Ontbrekende optie '--date'.",
            "en": "Error: Missing option '--date'."}[lang] in missing.stderr, missing.stderr
    helped = strata("--help")
    assert helped.returncode == 0
    heading, show = {"fr": ("Options:", "Afficher cette aide et quitter."),
                     "nl": ("Opties:", "Deze hulp tonen en stoppen."),
                     "en": ("Options:", "Show this message and exit.")}[lang]
    assert heading in helped.stdout and show in helped.stdout, helped.stdout
    version = strata("--version")
    assert version.returncode == 0
    assert version.stdout.startswith({"fr": "strata, version ", "nl": "strata, versie ",
                                      "en": "strata, version "}[lang]), version.stdout
    assert {"fr": "Afficher la version et quitter.", "nl": "De versie tonen en stoppen.",
            "en": "Show the version and exit."}[lang] in helped.stdout


def test_click_texts_are_click_s_and_their_catalogues_translate_them(tmp_path, monkeypatch):
    """Each English text of click_messages.json is one click writes (a click upgrade that
    changes one is seen here), with the same fields in fr and nl; the catalogues written from
    the file give them back through gettext, plurals included, and leave gettext as it was."""
    import gettext
    import re
    from pathlib import Path

    import click

    from services.cli import click_text

    source = "".join(p.read_text(encoding="utf-8")
                     for p in Path(click.__file__).parent.glob("*.py"))
    field = re.compile(r"\{[^}]*\}|%\([a-z]+\)s")
    for entry in click_text.entries():
        english = entry["en"] if isinstance(entry["en"], list) else [entry["en"]]
        for i, text in enumerate(english):
            assert json.dumps(text)[1:-1] in source, f"click does not write {text!r}"
            for lang in ("fr", "nl"):
                spoken = entry[lang][i] if isinstance(entry[lang], list) else entry[lang]
                # the same values (the French and Dutch of a path's message name the file by
                # its path alone: click makes its "File" / "Directory" before any language)
                assert set(field.findall(spoken)) <= set(field.findall(text)), spoken
                assert set(field.findall(text)) - set(field.findall(spoken)) <= {"{name}"}
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    click_text.catalogues.cache_clear()
    before = gettext.textdomain()
    with click_text.spoken("nl"):
        assert gettext.gettext("Usage:") == "Gebruik:"
        assert gettext.ngettext("Option {name!r} requires an argument.",
                                "Option {name!r} requires {nargs} arguments.", 2) == \
            "De optie {name!r} vereist {nargs} argumenten."
    with click_text.spoken("fr"):  # French plural: 0 and 1 are singular
        assert gettext.ngettext("Got unexpected extra argument ({args})",
                                "Got unexpected extra arguments ({args})", 0) == \
            "Argument supplémentaire inattendu ({args})"
    assert gettext.textdomain() == before and gettext.gettext("Usage:") == "Usage:"
    assert (tmp_path / "strata").is_dir()
    click_text.catalogues.cache_clear()


def test_every_command_and_option_has_its_help_in_french_and_dutch():
    """Each help text of Strata's commands and options has its fr and nl (a new option
    without them fails here); a command's help follows the language of each run, in one
    process as in many."""
    from click.testing import CliRunner

    from services.cli.click_text import documented, help_texts
    from services.cli.main import cli

    texts = help_texts()
    for item, english in documented(cli):
        if getattr(item, "name", "") in ("help", "version"):  # click's own: click_messages
            continue
        assert english in texts and texts[english]["fr"] and texts[english]["nl"], english
    runner = CliRunner()
    said = {lang: runner.invoke(cli, ["snapshot", "--help"], env={"STRATA_LANG": lang}).output
            for lang in ("nl", "en", "fr")}
    assert "Alle lagen, in één GeoPackage." in said["nl"] and "Opties:" in said["nl"]
    assert "Toutes les couches, dans un seul GeoPackage." in said["fr"]
    assert "Every layer, into one GeoPackage." in said["en"] and "Options:" in said["en"]


def worded(template: str | None) -> bool:
    """Whether a template has words of its own (not a catch-all such as ``{0}: {1}``)."""
    return template is not None and any(
        c.isalpha() for c in re.sub(r"\{[0-9]+\}", "", template))


def test_every_line_the_command_line_says_has_its_french_and_dutch(loaded, tmp_path):
    """Each line the commands write for people (counts, what was written, warnings, the
    state of the database, what `strata load` did) is made from a template that has its
    French and Dutch; values alone (a key, a URL, an attribute and its value) are not. Then
    the same commands in French say them in French."""
    from click.testing import CliRunner

    from services.cli.main import cli

    def said(lang: str, *args: str) -> str:
        result = CliRunner().invoke(cli, list(args), env={**loaded.environ, "STRATA_LANG": lang})
        assert result.exit_code == 0, result.output
        return result.output

    commands = [("layers",), ("config", "validate"), ("db", "status"),
                ("snapshot", "municipalities", "--date", "2010-01-01", "-o",
                 str(tmp_path / "before.gpkg")),
                ("changes", "streets", "--from", "2020-01-01", "--to", "2021-06-01", "-o",
                 str(tmp_path / "changes.json")),
                ("history", "municipalities", "7400")]
    english = {args: said("en", *args) for args in commands}
    lines = [line for out in [loaded.load_output, *english.values()]
             for line in out.splitlines() if any(c.isalpha() for c in line)]
    values = re.compile(r"^ {4}[a-z_0-9]+: ")  # history: an attribute and its value
    assert len(lines) > 40
    untranslated = [line for line in lines
                    if not values.match(line) and not worded(template_of(line))]
    assert not untranslated, "no fr / nl for:\n" + "\n".join(untranslated)
    french = said("fr", "snapshot", "municipalities", "--date", "2010-01-01", "-o",
                  str(tmp_path / "before-fr.gpkg"))
    assert "attention : municipalities n'a aucune édition avant le 2015-07-20" in french
    assert "la carte du 2010-01-01 est vide" in french and "écrit" in french
    dutch = said("nl", "layers")
    assert "municipalities (Gemeenten): 19 objecten" in dutch and "toegevoegd" in dutch


def test_click_catalogues_are_this_users_and_whole(tmp_path, monkeypatch):
    """The catalogues go to a folder of this user that no one else may write in (a folder
    others may write in is passed over); one cut short is written again before use."""
    import gettext

    from services.cli import click_text

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    click_text.catalogues.cache_clear()
    folder = click_text.catalogues()
    assert folder is not None and folder.parent == tmp_path / "strata"
    assert folder.stat().st_mode & 0o077 == 0
    mo = folder / "fr" / "LC_MESSAGES" / f"{click_text.DOMAIN}.mo"
    mo.write_bytes(mo.read_bytes()[:40])  # cut short
    click_text.catalogues.cache_clear()
    assert click_text.catalogues() == folder
    with mo.open("rb") as file:
        assert gettext.GNUTranslations(file).gettext("Usage:") == "Utilisation :"
    folder.chmod(0o777)  # others may write in it now: not used
    click_text.catalogues.cache_clear()
    assert click_text.catalogues() != folder
    click_text.catalogues.cache_clear()


def test_every_reason_a_setting_is_refused_for_has_its_french_and_dutch():
    """services/settings.py words pydantic's refusals itself: each has its translations."""
    from services.settings import REASONS, reason

    for english in REASONS.values():
        assert translate(english, "fr") and translate(english, "nl"), english
    assert reason({"type": "value_error", "msg": "Value error, must be greater than 0"}) == \
        "must be greater than 0"
    assert reason({"type": "bool_parsing", "msg": "Input should be a valid boolean"}) == \
        "must be true or false"


@pytest.mark.parametrize(("path", "params", "lang", "said"), [
    # pygeoapi's own words
    ("/collections", {"f": "foo"}, "fr", "Format demandé non valide"),
    ("/processes", {"limit": "abc"}, "nl", "de waarde van limit moet een geheel getal zijn"),
    # a hint made of a hint and an instant's form, whole
    ("/collections/municipalities/download", {"date": "x"}, "fr",
     "par exemple 2021-02-05, ou 2021-02-05T12:00:00Z"),
    ("/collections/streets/items", {"filter": "osm_way_id='abc'"}, "fr",
     "écrivez un nombre sans guillemets"),
])
def test_errors_made_of_several_texts_are_said_whole(service, path, params, lang, said):
    r = httpx.get(f"{service}{path}", params={**params, "lang": lang}, timeout=60)
    assert r.status_code == 400, r.text
    body = r.json()
    assert said in body["description"] + " " + body["hint"], body
    assert r.headers["Content-Language"] == lang
