"""The two columns every input row carries: the file it came from and its row there (1-based, header excluded)."""

SOURCE_FILE = "_source_file"
SOURCE_ROW = "_source_row"
