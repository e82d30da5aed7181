"""Synthesize Quillcast's AWS stack: `make aws-synth` (offline) or `cdk deploy` from this folder.

The stack is environment-agnostic (no account or region here): it deploys into whichever account and
region `cdk deploy` runs against, and synthesis needs no AWS credentials and makes no look-ups.
"""

import os
import sys
from pathlib import Path

import aws_cdk as cdk

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quillcast_aws.stack import QuillcastStack  # noqa: E402


def main() -> None:
    # `cdk` sets CDK_OUTDIR itself; a plain `python app.py` writes next to this file.
    outdir = None if os.environ.get("CDK_OUTDIR") else str(Path(__file__).resolve().parent / "cdk.out")
    app = cdk.App(outdir=outdir)
    QuillcastStack(app, "Quillcast")
    app.synth()


if __name__ == "__main__":
    main()
