DROP TABLE example_score;
