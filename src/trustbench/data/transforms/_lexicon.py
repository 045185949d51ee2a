"""Small word tables shared by the perturbations: synonyms, keyboard neighbours, fillers."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Groups of words that can stand for one another in most sentences. Kept small and common on
# purpose: enough to perturb instructions and short review or question sentences.
_SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("give", "provide", "offer"),
    ("tips", "hints", "pointers"),
    ("tip", "hint", "pointer"),
    ("explain", "describe", "clarify"),
    ("write", "compose", "draft"),
    ("list", "enumerate", "name"),
    ("make", "create", "produce"),
    ("show", "demonstrate", "illustrate"),
    ("tell", "inform"),
    ("help", "assist", "aid"),
    ("use", "employ", "utilize"),
    ("keep", "maintain", "retain"),
    ("find", "locate", "discover"),
    ("get", "obtain", "acquire"),
    ("start", "begin", "commence"),
    ("stop", "halt", "cease"),
    ("choose", "select", "pick"),
    ("improve", "enhance", "better"),
    ("need", "require"),
    ("want", "wish", "desire"),
    ("think", "believe", "reckon"),
    ("say", "state", "declare"),
    ("buy", "purchase"),
    ("fix", "repair", "mend"),
    ("build", "construct", "assemble"),
    ("prepare", "ready"),
    ("summarize", "summarise", "condense"),
    ("short", "brief", "concise"),
    ("simple", "easy", "basic"),
    ("hard", "difficult", "tough"),
    ("big", "large", "huge"),
    ("small", "little", "tiny"),
    ("fast", "quick", "rapid"),
    ("slow", "sluggish", "unhurried"),
    ("good", "fine", "decent"),
    ("great", "excellent", "superb"),
    ("bad", "poor", "awful"),
    ("terrible", "dreadful", "horrible"),
    ("funny", "amusing", "humorous"),
    ("boring", "dull", "tedious"),
    ("interesting", "engaging", "intriguing"),
    ("beautiful", "lovely", "gorgeous"),
    ("happy", "glad", "cheerful"),
    ("sad", "unhappy", "gloomy"),
    ("smart", "clever", "bright"),
    ("important", "crucial", "vital"),
    ("main", "chief", "principal"),
    ("common", "usual", "typical"),
    ("new", "fresh", "novel"),
    ("old", "aged", "ancient"),
    ("whole", "entire", "complete"),
    ("many", "numerous", "several"),
    ("often", "frequently", "regularly"),
    ("very", "really", "extremely"),
    ("also", "too", "additionally"),
    ("movie", "film", "picture"),
    ("story", "tale", "narrative"),
    ("book", "volume", "novel"),
    ("job", "task", "chore"),
    ("way", "method", "manner"),
    ("idea", "notion", "concept"),
    ("problem", "issue", "difficulty"),
    ("answer", "reply", "response"),
    ("question", "query", "inquiry"),
    ("example", "instance", "sample"),
    ("steps", "stages", "phases"),
    ("house", "home", "dwelling"),
    ("car", "automobile", "vehicle"),
    ("child", "kid", "youngster"),
    ("people", "persons", "folks"),
    ("friend", "companion", "pal"),
    ("city", "town"),
    ("trip", "journey", "voyage"),
    ("food", "meal", "fare"),
    ("work", "function", "operate"),
    ("works", "functions", "operates"),
    ("money", "cash", "funds"),
    ("benefits", "advantages", "merits"),
    ("reasons", "causes", "grounds"),
    ("plan", "scheme", "schedule"),
    ("healthy", "wholesome", "fit"),
)


def _synonym_table() -> Mapping[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for group in _SYNONYM_GROUPS:
        for word in group:
            others = tuple(w for w in group if w != word)
            table[word] = tuple(dict.fromkeys(table.get(word, ()) + others))
    return MappingProxyType(table)


SYNONYMS: Mapping[str, tuple[str, ...]] = _synonym_table()

# Neighbouring keys on a US QWERTY keyboard (letters only), for realistic mistyping.
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> Mapping[str, str]:
    # Each row sits about half a key to the right of the row above it, so key c touches keys
    # c and c+1 of the row above and keys c-1 and c of the row below.
    table: dict[str, str] = {}
    for r, row in enumerate(_KEY_ROWS):
        for c, key in enumerate(row):
            near = [(r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)]
            keys = {
                _KEY_ROWS[nr][nc]
                for nr, nc in near
                if 0 <= nr < len(_KEY_ROWS) and 0 <= nc < len(_KEY_ROWS[nr])
            }
            table[key] = "".join(sorted(keys))
    return MappingProxyType(table)


KEYBOARD_NEIGHBOURS: Mapping[str, str] = _keyboard_neighbours()

# Words that can sit between two others without changing what a sentence asks or claims.
DISTRACTORS: tuple[str, ...] = (
    "actually",
    "basically",
    "honestly",
    "indeed",
    "really",
    "simply",
    "truly",
    "certainly",
    "literally",
    "quite",
)

# Plain letters to the digits and signs that leetspeak writes for them.
LEET: Mapping[str, str] = MappingProxyType(
    {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "b": "8", "g": "9"}
)
