"""Write the published TrustLLM leaderboard as package data, from the reference notes.

    python tools/build_leaderboard_data.py [PATH/TO/trustllm.md]

Reads the tables of §3 "Headline results" of the reference notes (default
``../shared/reference/trustllm.md`` relative to the repository root), takes every number as it
stands, and writes ``src/trustbench/report/data/trustllm_leaderboard.json`` with the mapping of
each published column to a trustbench task and metric (written here, by hand). The package reads
only the JSON; tests/test_leaderboard_data.py checks it against the notes when they are present.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/trustbench/report/data/trustllm_leaderboard.json"

SOURCE = {
    "paper": 'Sun et al., "TrustLLM: Trustworthiness in Large Language Models", arXiv 2401.05561 '
    "(ICML 2024): 16 LLMs",
    "additions": "TrustLLM v0.3.0 (PyPI trustllm 0.3.0, 2024-04-27) added 5 LLMs: ChatGLM3, "
    "Llama3-8b, Llama3-70b, GLM4, Mixtral",
    "data": "TrustLLMBenchmark/TrustLLM-Website (HEAD 080221b), js/leaderboard/leaderboard-data.js, "
    "as rendered by leaderboard.html",
    "transcribed_from": "trustbench reference notes on TrustLLM, section 3 'Headline results'",
    "values": "as published; null where the source has n/a (-1: not evaluated)",
}

# Canonical model names in the order of the paper, then the v0.3.0 additions.
PAPER_MODELS = [
    "Baichuan-13b", "ChatGLM2", "ChatGPT", "ERNIE", "Koala-13b", "Llama2-7b", "Llama2-13b",
    "Oasst-12b", "Vicuna-7b", "Vicuna-13b", "Vicuna-33b", "Wizardlm-13b", "GPT-4", "Llama2-70b",
    "Mistral-7b", "PaLM 2",
]  # fmt: skip
ADDED_MODELS = ["ChatGLM3", "Llama3-8b", "Llama3-70b", "GLM4", "Mixtral"]

J = "the same formula as the reference; only the judge differs"

# (markdown table, published header) -> column. basis: "trustllm" = the task's `_trustllm`
# metric (the reference's formula beside trustbench's corrected one); "same_formula" = the task
# has no `_trustllm` variant because its own metric already is the reference's formula.
COLUMNS = [
    # truthfulness
    ("truthfulness", "Internal ↑", "internal", "truthfulness/internal", None, None,
     "the reference asks GPT-4 whether squad, hotpot and adversarial answers are correct and "
     "drops undecided verdicts; trustbench cannot reproduce that offline (only "
     "codah_accuracy_trustllm, one source of four). Nearest: truthfulness/internal accuracy"),
    ("truthfulness", "External ↑", "external", "truthfulness/external", "macro_f1_trustllm",
     "trustllm", ""),
    ("truthfulness", "Hallucination ↑", "hallucination", "truthfulness/hallucination",
     "accuracy_trustllm", "trustllm",
     "trustbench shuffles the mc options (the official answer is always A), so the reference's "
     "mc rule (share answering A) rewards a model that always says A less here"),
    ("truthfulness", "Persona Sycophancy ↓", "persona_sycophancy",
     "truthfulness/sycophancy_persona", "similarity_gap", "same_formula",
     "the site's arrow says lower is better, but by the formula (cos to the non-sycophantic "
     "answer minus cos to the sycophantic one) higher is less sycophantic, which is the "
     "direction used here; MiniLM cosines (trustbench) and ada-002 cosines (paper) are on "
     "different scales, so values are not comparable across the two"),
    ("truthfulness", "Preference Sycophancy ↓", "preference_sycophancy",
     "truthfulness/sycophancy_preference", "change_rate_trustllm", "trustllm", ""),
    ("truthfulness", "Adv Factuality ↑", "adv_factuality", "truthfulness/adv_factuality",
     "correction_rate", "same_formula", J + " (GPT-4 in the paper, offline rules here)"),
    # safety
    ("safety", "Jailbreak ↑", "jailbreak", "safety/jailbreak", "rta", "same_formula",
     J + " (Longformer classifier in the paper)"),
    ("safety", "Toxicity ↓", "toxicity", "safety/toxicity", "average_toxicity", "same_formula",
     "the paper scores with the Perspective API, trustbench by default with a local "
     "profanity model: the scales differ; that the column is the average is uncertain"),
    ("safety", "Misuse ↑", "misuse", "safety/misuse", "rta", "same_formula",
     J + " (Longformer classifier in the paper)"),
    ("safety", "Exaggerated Safety ↓", "exaggerated_safety", "safety/exaggerated_safety",
     "compliance_rate_trustllm", "trustllm",
     "the reference code returns 1 - RtA (compliance) but the column holds the refusal rate "
     "(Llama2-7b 0.49, GPT-4 0.085), so the run's value is 1 - compliance_rate_trustllm"),
    # fairness
    ("fairness", "Stereotype Recognition ↑", "stereotype_recognition",
     "fairness/stereotype_recognition", "accuracy_trustllm", "trustllm", ""),
    ("fairness", "Overall Agreement Rate ↓", "stereotype_agreement",
     "fairness/stereotype_agreement", "agreement_rate", "same_formula",
     J + " (short-reply rule and GPT-4 in the paper)"),
    ("fairness", "Stereotype Query Test ↑", "stereotype_query", "fairness/stereotype_query",
     "rta", "same_formula", J + " (Longformer classifier in the paper)"),
    ("fairness", "Disparagement Sex ↑", "disparagement_sex", "fairness/disparagement",
     "p_sex_trustllm", "trustllm", "chi-square p-value"),
    ("fairness", "Disparagement Race ↑", "disparagement_race", "fairness/disparagement",
     "p_race_trustllm", "trustllm", "chi-square p-value"),
    ("fairness", "Prefereence RtA ↑", "preference_rta", "fairness/preference", "rta_trustllm",
     "trustllm", "the site spells the header 'Prefereence'"),
    # robustness
    ("robustness", "AdvGlue RS ↑", "advglue_rs", "robustness/advglue", "rs_trustllm",
     "trustllm", ""),
    ("robustness", "AdvInstruction ↑", "advinstruction", "robustness/advinstruction",
     "similarity_trustllm", "trustllm",
     "0-100 scale (mean cosine x 100), as is trustbench's similarity_trustllm; MiniLM instead "
     "of ada-002 embeddings"),
    ("robustness", "OOD detection ↑", "ood_detection", "robustness/ood_detection", "rta",
     "same_formula", J + " (Longformer classifier in the paper)"),
    ("robustness", "OOD generalization ↑", "ood_generalization", "robustness/ood_generalization",
     "f1_trustllm", "trustllm", "the reference's F1 equals 2*acc/(1+acc)"),
    # privacy
    ("privacy", "Privacy Awareness Normal ↑", "privacy_awareness_normal",
     "privacy/awareness_query", "rta_normal", "same_formula",
     J + " (Longformer classifier in the paper)"),
    ("privacy", "Privacy Awareness Aug ↑", "privacy_awareness_aug", "privacy/awareness_query",
     "rta_aug", "same_formula", J + " (Longformer classifier in the paper)"),
    ("privacy", "Privacy Leakage RtA ↑", "privacy_leakage_rta", "privacy/leakage",
     "rta_trustllm", "trustllm", ""),
    ("privacy", "Privacy Leakage TD ↓", "privacy_leakage_td", "privacy/leakage", "td_trustllm",
     "trustllm", ""),
    ("privacy", "Privacy Leakage CD ↓", "privacy_leakage_cd", "privacy/leakage", "cd_trustllm",
     "trustllm", "the reference's CD can exceed 1"),
    ("privacy", "Privacy Awareness Correlation ↑", "privacy_awareness_correlation",
     "privacy/awareness_confaide", "pearson_trustllm", "trustllm", "Pearson r, -1 to 1"),
    # ethics
    ("ethics", "Social Chemistry 101 Acc ↑", "social_chemistry", "ethics/social_norm",
     "overall_trustllm", "trustllm",
     "the reference's run_ethics swaps the result names of ETHICS and social norm, so this "
     "column and 'ETHICS Acc' may be swapped (uncertain)"),
    ("ethics", "ETHICS Acc ↑", "ethics_acc", "ethics/implicit_ethics", "overall_trustllm",
     "trustllm", "may be swapped with 'Social Chemistry 101 Acc' (uncertain)"),
    ("ethics", "MoralChoice Acc ↑", "moralchoice_acc", "ethics/explicit_moralchoice",
     "low_accuracy_trustllm", "trustllm", ""),
    ("ethics", "MoralChoice RtA ↑", "moralchoice_rta", "ethics/explicit_moralchoice",
     "high_rta", "same_formula", J + " (Longformer classifier in the paper)"),
    ("ethics", "Emotional Acc ↑", "emotional_acc", "ethics/awareness",
     "emotion_accuracy_trustllm", "trustllm", ""),
]  # fmt: skip

# Columns whose published direction differs from the one used for ranks, and why.
DIRECTION = {"persona_sycophancy": "higher"}
TRANSFORM = {"exaggerated_safety": "one_minus"}
RANGE = {
    "persona_sycophancy": [-1.0, 1.0],
    "advglue_rs": [-1.0, 1.0],
    "advinstruction": [0.0, 100.0],
    "privacy_awareness_correlation": [-1.0, 1.0],
}


def model_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def parse_tables(text: str) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Section 3's tables: dimension -> (header, rows of cells), as written."""
    section = text.split("## 3.", 1)[1].split("\n## ", 1)[0]
    tables = {}
    for match in re.finditer(r"\*\*(\w+)\*\* \(source[^\n]*\n\n((?:\|[^\n]*\n)+)", section):
        lines = [line.strip().strip("|").split("|") for line in match[2].strip().splitlines()]
        header = [cell.strip() for cell in lines[0]]
        rows = [[cell.strip() for cell in line] for line in lines[2:]]
        tables[match[1]] = (header, rows)
    return tables


def number(cell: str) -> float | None:
    return None if cell == "n/a" else float(cell)


def build(text: str) -> dict:
    tables = parse_tables(text)
    canonical = {model_key(m): m for m in PAPER_MODELS + ADDED_MODELS}
    values: dict[str, dict[str, float | None]] = {m: {} for m in canonical.values()}
    aliases: dict[str, set[str]] = {m: set() for m in canonical.values()}
    columns = []
    for dimension, header, column_id, task, metric, basis, note in COLUMNS:
        table_header, rows = tables[dimension]
        position = table_header.index(header)
        arrow = header.rsplit(" ", 1)[1]
        published = "higher" if arrow == "↑" else "lower"
        direction = DIRECTION.get(column_id, published)
        columns.append(
            {
                "id": column_id,
                "dimension": dimension,
                "label": header.rsplit(" ", 1)[0],
                "published_direction": published,
                "direction": direction,
                "unit": "percent" if column_id == "advinstruction" else "fraction",
                "range": RANGE.get(column_id, [0.0, 1.0]),
                "mapped": metric is not None,
                "task": task,
                "metric": metric,
                "basis": basis,
                "transform": TRANSFORM.get(column_id),
                "note": note,
            }
        )
        for row in rows:
            model = canonical[model_key(row[0])]
            aliases[model].add(row[0])
            values[model][column_id] = number(row[position])
    models = [
        {
            "name": name,
            "added_in": "paper" if name in PAPER_MODELS else "v0.3.0",
            "spellings": sorted(aliases[name]),
            "values": values[name],
        }
        for name in PAPER_MODELS + ADDED_MODELS
    ]
    return {
        "name": "trustllm",
        "title": "TrustLLM leaderboard",
        "source": SOURCE,
        "units": "Every value is kept as published. Rates, accuracies, F1 and p-values are "
        "fractions (0-1), as trustbench's metrics are; AdvInstruction is on a 0-100 scale (mean "
        "cosine x 100), as is trustbench's similarity_trustllm; correlations and the AdvGLUE "
        "robustness score run from -1 to 1. 'range' is the scale used to put a column on 0-1.",
        "judges": "The paper judged with a Longformer classifier (LibrAI/longformer-harmful-ro) "
        "for refusals, GPT-4 for open answers, OpenAI ada-002 embeddings for similarity and the "
        "Perspective API for toxicity; trustbench's default judges are offline rules, MiniLM "
        "embeddings and a local profanity model. Differences of a few points are not meaningful.",
        "columns": columns,
        "models": models,
    }


def main() -> None:
    default = ROOT.parent / "shared/reference/trustllm.md"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    data = build(path.read_text(encoding="utf-8"))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(data['models'])} models, {len(data['columns'])} columns")


if __name__ == "__main__":
    main()
