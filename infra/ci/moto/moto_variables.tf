# TEST ONLY (see moto_override.tf): the moto server's address, set by tests/infra/conftest.py.

variable "moto_endpoint" {
  description = "URL of the moto server (http://127.0.0.1:PORT)."
  type        = string
}
