"""UI texts of the kiosk, the widget and the curator pages in six languages, read from server/i18n/{lang}.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.language import LANGUAGES

I18N_DIR = Path(__file__).parent / "i18n"
DEFAULT_LANG = "en"


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    strings: dict[str, str]
    suggestions: tuple[str, ...]
    curator: dict[str, str] = field(default_factory=dict)  # the curator pages' texts (never sent to visitors)

    def as_json(self) -> dict:
        return {"lang": self.code, "name": self.name, "strings": self.strings, "suggestions": list(self.suggestions)}


class I18nError(ValueError):
    pass


@dataclass(frozen=True)
class Translations:
    languages: dict[str, Language]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.languages)

    def get(self, code: str | None) -> Language:
        return self.languages.get(primary_subtag(code), self.languages[DEFAULT_LANG])

    def menu(self) -> list[dict[str, str]]:
        return [{"code": lang.code, "name": lang.name} for lang in self.languages.values()]

    def as_json(self) -> dict:
        return {code: lang.as_json() for code, lang in self.languages.items()}


def primary_subtag(code: str | None) -> str:
    """'lt-LT' -> 'lt'; None -> ''."""
    return (code or "").replace("_", "-").split("-")[0].strip().lower()


def load_translations(folder: Path = I18N_DIR, codes: tuple[str, ...] = LANGUAGES) -> Translations:
    """Read every language file; every file must have exactly the keys of the English one."""
    languages: dict[str, Language] = {}
    for code in codes:
        path = folder / f"{code}.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise I18nError(f"{path}: {exc}") from exc
        strings = data.get("strings") or {}
        suggestions = data.get("suggestions") or []
        curator = data.get("curator") or {}
        for name, table in (("strings", strings), ("curator", curator)):
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                raise I18nError(f"{path}: '{name}' must map names to text")
        if not 4 <= len(suggestions) <= 6 or not all(isinstance(s, str) and s.strip() for s in suggestions):
            raise I18nError(f"{path}: 'suggestions' must list 4 to 6 questions")
        languages[code] = Language(code, str(data.get("name") or code), dict(strings), tuple(suggestions), dict(curator))
    for table in ("strings", "curator"):
        reference = set(getattr(languages[DEFAULT_LANG], table))
        for code, language in languages.items():
            keys = set(getattr(language, table))
            missing, extra = reference - keys, keys - reference
            if missing or extra:
                raise I18nError(f"{folder / (code + '.yaml')}: {table}: missing {sorted(missing)}, unexpected {sorted(extra)}")
    return Translations(languages)
