#compdef wg-py

_wg_py_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _WG_PY_COMPLETE=complete_zsh wg-py)
}

compdef _wg_py_completion wg-py
