"""Quillcast on AWS, as CDK constructs: one stack (stack.py) built from the parts in this package."""
