"""DynamoDB access: one client per container, the table named by TABLE_NAME."""
