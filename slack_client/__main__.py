"""`python -m slack_client` runs the Slack assistant."""

from slack_client.cli import main

main()
