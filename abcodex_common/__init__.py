"""What the gateway and the Slack bot must do the same way: personal-data masking, one-line text, retries."""
