DROP TABLE IF EXISTS core_artifact;
DROP TABLE IF EXISTS core_job_run;
