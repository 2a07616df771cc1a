# tflint with its bundled terraform ruleset only: no plugin downloads.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}
