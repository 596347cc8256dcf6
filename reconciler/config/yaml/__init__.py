"""Reading YAML with the positions that error messages need.

`parse_yaml` is the one reader (`reader`); `source` maps a JSON path to FILE:LINE:COL,
`locate` finds object starts by scanning the text, `marked` reads with PyYAML's marks, and
`scalars` gives plain scalars their YAML 1.2 meaning.
"""

from reconciler.config.yaml.locate import JsonPath
from reconciler.config.yaml.reader import parse_yaml
from reconciler.config.yaml.source import ParsedFile, SourceMap

__all__ = ["JsonPath", "ParsedFile", "SourceMap", "parse_yaml"]
