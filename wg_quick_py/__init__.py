"""wg-py's `wg-quick`: brings WireGuard interfaces up and down from config files."""
