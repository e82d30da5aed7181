"""Operations: what the operator of an instance watches and runs. Readiness of each part (system), the
Prometheus text (prometheus), feature adoption for administrators (adoption), and the daily backup. Uses
models, core, identity (who is an administrator) and the shared usage counters; no business rule lives
here."""
