"""Execution: the driver API's services, proof of delivery (POD) with stored media, and chain of custody."""
