DROP TABLE IF EXISTS container_runtime_state;
DROP TABLE IF EXISTS container_workload;
DROP TABLE IF EXISTS container_transition;
DROP TABLE IF EXISTS container;
