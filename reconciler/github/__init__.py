"""The GitHub Action's side: the runner's protocol, PR comments, publishing."""
