"""The shipped policies, installed with the package as `sanitizer.rules` (pyproject.toml maps
this folder there), so an installed proxy finds its bundled default wherever it runs.

Policies are YAML files beside this one; sanitizer.proxy.defaults reads them from here.
"""
