// CSV reader: goldens (header detection, label column, quoting, CRLF) and
// errors with line numbers.
#include "data/csv.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/data/test_util.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

std::vector<float> Floats(const Array& a) {
  auto v = a.values<float>();
  return {v.begin(), v.end()};
}

TEST(CsvTest, HeaderAutoDetectedAndLabelByName) {
  CsvReadOptions o;
  o.label_column = "species";
  auto d = ParseCsv("len, species ,width\n1.5,2,3\n-4e-1,0,6\n", o, "iris.csv");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->columns, (std::vector<std::string>{"len", "species", "width"}));
  EXPECT_EQ(d->label_index, 1);
  EXPECT_EQ(d->features.dtype, ArrayDType::kFloat32);
  EXPECT_EQ(d->features.shape, Shape({2, 2}));
  EXPECT_EQ(Floats(d->features), (std::vector<float>{1.5f, 3, -0.4f, 6}));
  ASSERT_TRUE(d->has_labels);
  EXPECT_EQ(d->labels.dtype, ArrayDType::kInt32);
  EXPECT_EQ(d->labels.shape, Shape({2}));
  EXPECT_EQ(d->labels.values<int32_t>()[0], 2);
  EXPECT_EQ(d->labels.values<int32_t>()[1], 0);
}

TEST(CsvTest, NoHeaderLabelByIndexQuotesCrlfBlankLines) {
  CsvReadOptions o;
  o.label_index = 2;
  auto d = ParseCsv(
      "\xEF\xBB\xBF"
      "1,\"2.5\",3.0\r\n\r\n4, 5 ,\"7\"\r\n",
      o);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->columns, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(Floats(d->features), (std::vector<float>{1, 2.5f, 4, 5}));
  EXPECT_EQ(d->labels.values<int32_t>()[0], 3);
  EXPECT_EQ(d->labels.values<int32_t>()[1], 7);
  // No label: every column is a feature; labels empty.
  auto all = ParseCsv("1;2\n3;4", {CsvReadOptions::Header::kNo, ';'});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_FALSE(all->has_labels);
  EXPECT_EQ(all->features.shape, Shape({2, 2}));
  // Label by a numeric string when there is no header; quoted header names
  // with delimiters.
  o = {};
  o.label_column = "0";
  auto by_index = ParseCsv("5,1\n6,2\n", o);
  ASSERT_TRUE(by_index.ok());
  EXPECT_EQ(by_index->labels.values<int32_t>()[1], 6);
  auto quoted = ParseCsv("\"a,b\",\"say \"\"hi\"\"\"\n1,2\n");
  ASSERT_TRUE(quoted.ok()) << quoted.status();
  EXPECT_EQ(quoted->columns[0], "a,b");
  EXPECT_EQ(quoted->columns[1], "say \"hi\"");
}

TEST(CsvTest, ErrorsNameFileLineAndColumn) {
  struct Case {
    std::string text;
    std::string label;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"a,b\n1,2\n3\n", "", "t.csv:3: expected 2 fields, got 1"},
      {"a,b\n1,2\n3,x\n", "",
       "t.csv:3: column 1 (\"b\"): \"x\" is not a number"},
      {"a,b\n1,\n", "", "t.csv:2: column 1 (\"b\"): \"\" is not a number"},
      {"a,b\n1,2.5\n", "b",
       "t.csv:2: label column 1 (\"b\"): \"2.5\" is not an int32"},
      {"a,b\n1,2\n", "c", "t.csv:1: no label column \"c\""},
      {"a\n1\n", "a", "no feature column besides the label"},
      {"a,b\n", "", "t.csv: no data rows"},
      {"", "", "t.csv: no data rows"},
      {"a,b\n1,\"2\n", "", "t.csv:2: unterminated quoted field"},
      {"a,b\n1,\"2\"x\n", "", "t.csv:2: text after a closing quote"},
      {"a,b\n1,3e10\n", "b", "not an int32"},
  };
  for (const Case& c : cases) {
    CsvReadOptions o;
    o.label_column = c.label;
    auto d = ParseCsv(c.text, o, "t.csv");
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(d.status().message()), HasSubstr(c.message))
        << c.text;
  }
  CsvReadOptions o;
  o.label_index = 5;
  EXPECT_THAT(std::string(ParseCsv("1,2\n", o).status().message()),
              HasSubstr("out of range"));
}

TEST(CsvTest, ReadCsvFromFile) {
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/d.csv") << "x,y,label\n0.5,1,1\n";
  CsvReadOptions o;
  o.label_column = "label";
  auto d = ReadCsv(dir + "/d.csv", o);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->features.shape, Shape({1, 2}));
  auto missing = ReadCsv(dir + "/missing.csv");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("missing.csv"));
}

}  // namespace
}  // namespace attune
