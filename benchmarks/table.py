"""The table every benchmark prints."""


def print_table(rows):
    width = max(len(name) for name, _value in rows)
    print("| %s | value |" % "measure".ljust(width))
    print("|%s|-------|" % ("-" * (width + 2)))
    for name, value in rows:
        print("| %s | %s |" % (name.ljust(width), value))
