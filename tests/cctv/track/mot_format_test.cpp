// MOTChallenge lines: the exact format, a round trip, and the parser's errors.
#include "mot_format.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "oi/error.hpp"
#include "scratch.hpp"

namespace oi::cctv {
namespace {

Track track(std::int64_t id, Box box, double score) {
  Track t;
  t.id = id;
  t.box = box;
  t.score = score;
  return t;
}

// The error message of parse_mot_text(text), or "" when it parses.
std::string error_of(const std::string& text) {
  try {
    parse_mot_text(text, "tracks.txt");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CctvTrack, MotLineFormat) {
  EXPECT_EQ(mot_line(1, track(3, Box{10.5, 20, 30.25, 40}, 0.9)),
            "1,3,10.50,20.00,30.25,40.00,0.9000,-1,-1,-1");
  EXPECT_EQ(mot_line(795, track(12, Box{-3.456, 0, 1, 2}, 1.0)),
            "795,12,-3.46,0.00,1.00,2.00,1.0000,-1,-1,-1");
  EXPECT_THROW(mot_line(0, track(1, Box{}, 1)), Error);
  std::ostringstream out;
  write_mot_frame(out, 7, {track(1, Box{1, 2, 3, 4}, 0.5), track(2, Box{5, 6, 7, 8}, 0.25)});
  EXPECT_EQ(out.str(), "7,1,1.00,2.00,3.00,4.00,0.5000,-1,-1,-1\n7,2,5.00,6.00,7.00,8.00,0.2500,-1,-1,-1\n");
}

TEST(CctvTrack, MotRoundTripThroughAFile) {
  const std::filesystem::path dir = oi::test::scratch_dir("cctv_track", "mot");
  const std::filesystem::path file = dir / "cam-1.txt";
  {
    std::ofstream out(file);
    write_mot_frame(out, 1, {track(1, Box{100, 50, 40, 100}, 0.8), track(2, Box{300, 60, 42, 104}, 0.7)});
    write_mot_frame(out, 3, {track(1, Box{104, 51, 40, 100}, 0.85)});
  }
  const MotFrames frames = parse_mot_file(file);
  ASSERT_EQ(frames.size(), 2u);
  ASSERT_EQ(frames.at(1).size(), 2u);
  EXPECT_EQ(frames.at(1)[1].id, 2);
  EXPECT_DOUBLE_EQ(frames.at(1)[1].box.h, 104);
  EXPECT_DOUBLE_EQ(frames.at(3)[0].score, 0.85);
  EXPECT_FALSE(frames.contains(2));
  // Ground-truth files (9 fields), CRLF, blank lines and spaces are accepted.
  const MotFrames gt =
      parse_mot_text("1, 1, 912, 484, 97, 109, 0, 7, 1\r\n\n  2,1,912,484,97,109,1,1,0.5  \n");
  ASSERT_EQ(gt.size(), 2u);
  EXPECT_DOUBLE_EQ(gt.at(1)[0].box.x, 912);
  EXPECT_DOUBLE_EQ(gt.at(1)[0].score, 0);
  // Six fields: score 1.
  EXPECT_DOUBLE_EQ(parse_mot_text("4,2,1,2,3,4").at(4)[0].score, 1.0);
}

TEST(CctvTrack, MotParserNamesTheLineAndTheProblem) {
  EXPECT_EQ(error_of("1,1,1,2,3,4,1,-1,-1,-1\n"), "");
  const std::string not_a_number = error_of("1,1,1,2,3,4,1,-1,-1,-1\n\n2,1,5,abc,3,4,1,-1,-1,-1\n");
  EXPECT_NE(not_a_number.find("tracks.txt:3: field 4 (y) is \"abc\", not a number"), std::string::npos)
      << not_a_number;
  EXPECT_NE(error_of("1,1,1,2,3\n").find("tracks.txt:1: 5 field(s), at least 6 needed"), std::string::npos);
  EXPECT_NE(error_of("1,1,1,2,3,4,1,-1,-1,-1,9\n").find("tracks.txt:1: more than 10 fields"),
            std::string::npos);
  EXPECT_NE(error_of("0,1,1,2,3,4\n").find("tracks.txt:1: frame is 0, not a positive integer"),
            std::string::npos)
      << error_of("0,1,1,2,3,4\n");
  EXPECT_NE(error_of("1,2.5,1,2,3,4\n").find("tracks.txt:1: id is 2.5, not a positive integer"),
            std::string::npos);
  EXPECT_NE(error_of("1,1,1,2,-3,4\n").find("tracks.txt:1: negative width or height"), std::string::npos);
  EXPECT_NE(error_of("1,1,1,2,3,4\n1,1,5,6,7,8\n").find("tracks.txt:2: id 1 appears twice in frame 1"),
            std::string::npos);
  EXPECT_NE(error_of("1,1,,2,3,4\n").find("field 3 (x) is \"\", not a number"), std::string::npos);
  EXPECT_NE(error_of("1,1,nan,2,3,4\n").find("field 3 (x)"), std::string::npos);
  // Every message shows the line and the expected form.
  EXPECT_NE(error_of("1,1,1,2,3\n").find("expected frame,id,x,y,w,h,score,-1,-1,-1"), std::string::npos);
  try {
    parse_mot_file("/nonexistent/tracks.txt");
    ADD_FAILURE() << "a missing file parsed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tracks.txt"), std::string::npos);
  }
}

}  // namespace
}  // namespace oi::cctv
