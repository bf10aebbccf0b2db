"""What crosses the wire between terminal and server, typed."""
