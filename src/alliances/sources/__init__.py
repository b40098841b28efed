"""Input datasets: the registry (:mod:`.registry`), where files are found (:mod:`.locate`),
reading and validation (:mod:`.reading`) and downloads (:mod:`.fetch`)."""

from alliances.sources.locate import (
                                      CACHE_ENV,
                                      ENV_VAR,
                                      cache_dir,
                                      default_data_dirs,
                                      find_file,
                                      resolve_data_dir,
                                      resolve_data_dirs,
                                      sha256_file,
)
from alliances.sources.reading import (
                                      Loaded,
                                      SourceWarning,
                                      UnknownVersionWarning,
                                      content_sha256,
                                      load,
                                      validate,
)
from alliances.sources.registry import LATEST_YEAR, REGISTRY, Fetchable, Source, Version

__all__ = ["CACHE_ENV", "ENV_VAR", "LATEST_YEAR", "REGISTRY", "Fetchable", "Loaded", "Source", "SourceWarning",
           "UnknownVersionWarning", "Version", "cache_dir", "content_sha256", "default_data_dirs", "find_file", "load",
           "resolve_data_dir", "resolve_data_dirs", "sha256_file", "validate"]
