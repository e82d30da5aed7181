"""Operations: what the operator of an instance watches and runs. Readiness of each part (system), the
Prometheus text (prometheus), and the daily backup. Uses models, core and reads the other packages'
tables; no business rule lives here."""
