//! Background jobs: the apalis queue (Redis) that carries runs to workers, and the recovery sweep that
//! hands back runs whose worker stopped. The work itself is `classify::runs::execute_run`.
