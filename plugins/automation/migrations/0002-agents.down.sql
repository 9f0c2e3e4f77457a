DROP TABLE automation_change_event;

DROP TABLE automation_callback_delivery;

DROP TABLE automation_agent_run;
