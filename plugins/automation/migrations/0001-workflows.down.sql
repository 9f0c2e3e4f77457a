DROP TABLE IF EXISTS workflow_step_run;
DROP TABLE IF EXISTS workflow_execution;
DROP TABLE IF EXISTS workflow_version;
DROP TABLE IF EXISTS workflow;
