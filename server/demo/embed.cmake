# Turns the demo district's CSV files into a C table, at build time, so that
# `luoshid --demo` needs no file at run time:
#   cmake -DOUT=file.c -DDIR=server/demo -P embed.cmake
file(GLOB files ${DIR}/*.csv)
list(SORT files)
set(body "/* Generated from server/demo by embed.cmake. */\n")
string(APPEND body "#include \"demo.h\"\n\n")
set(table "")
set(n 0)
foreach(f ${files})
  get_filename_component(name ${f} NAME)
  file(READ ${f} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  # Unsigned bytes: UTF-8 text above 0x7f does not fit a signed char.
  string(APPEND body "static const unsigned char f${n}[] = {${hex}0};\n")
  string(APPEND table "    {\"${name}\", (const char *)f${n}, ${len}},\n")
  math(EXPR n "${n} + 1")
endforeach()
string(APPEND body "\nconst srv_demo_file srv_demo_files[] = {\n${table}};\n")
string(APPEND body "const size_t srv_demo_n_files = ${n};\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
