"""The network as a place of resources: the facilitators' framework, the needs diagnostic, the
facilitators' directory and the resource centre."""
