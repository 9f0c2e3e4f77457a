DROP TABLE core_plugin_state;
