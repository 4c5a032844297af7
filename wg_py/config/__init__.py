"""wg's configuration grammar → the shared model (`WgDevice`), pure.

Behaving as wireguard-tools v1.0.20210914 does (REFERENCE.md §1.5–1.8):
- `wg_py.config.values`: single values (canonical base64 keys, fwmark, keepalive, allowed
  IPs, endpoint and port text) and the `Lookup` a parse asks for names;
- `wg_py.config.conffile`: `wg setconf/addconf/syncconf` files;
- `wg_py.config.setargs`: `wg set` arguments.

Nothing here touches the host: resolving a hostname or a service name and reading a key
file are asked of a `Lookup` handed in (`wg_py.hostio.SystemLookup` does them as the C tool
does; `values.NumericLookup`, the default, takes numeric values only), and warnings go to
a `warn` callable. wg-quick's own view of a config file (what it takes, what `strip`
leaves) is `quick`.

Errors are typed (`ConfigLineError`, `ConfigValueError` with the line number, `KeyFileError`)
and become the C tool's words in `wg_py/cli/errors.py`. Only stdlib is imported: `wg set`
and `wg setconf` start through here.
"""
