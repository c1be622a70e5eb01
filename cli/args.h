// cli/args.h — walking a program's command line, one option at a time, with
// the messages every program gives for the same mistakes.
//
//   bool parse_args(int argc, char** argv, Options& o, std::string& err) {
//     cli::Args args(argc, argv, err);
//     while (args.next()) {
//       const std::string& a = args.arg();
//       if (a == "--out") {
//         if (!args.value(o.out)) return false;       // "--out needs a value"
//       } else if (a == "--timeout") {
//         if (!args.number(o.timeout_s, 1, 86400)) return false;
//       } else if (a == "--only") {
//         if (!args.list(o.only)) return false;       // "a,b,,c" -> a b c
//       } else {
//         return args.unknown();  // err "" for --help/-h, else "unknown ..."
//       }
//     }
//     return true;
//   }
#pragma once

#include <string>
#include <vector>

namespace cli {

class Args {
 public:
  // Walks argv[1..argc-1]; the messages of the mistakes go to `err`.
  Args(int argc, char** argv, std::string& err);

  // Moves to the next argument; false after the last one.
  bool next();
  // The argument at hand.
  const std::string& arg() const { return arg_; }

  // Takes the argument after the one at hand into `into`; false (err "ARG
  // needs a value") if there is none.
  bool value(std::string& into);
  // value() as a decimal int in [min, max] (cli/number.h, named after the
  // argument at hand); false with parse_number's message otherwise.
  bool number(int& into, int min, int max);
  // value() split at commas; the non-empty parts are appended to `into`.
  bool list(std::vector<std::string>& into);
  // The arguments after the one at hand (what follows "--"); the walk ends.
  std::vector<std::string> rest();
  // For an argument no option matched: false, with err "" for --help and -h
  // (the caller prints the usage) and "unknown argument 'ARG'" otherwise.
  bool unknown();

 private:
  int argc_;
  char** argv_;
  int i_ = 0;
  std::string arg_;
  std::string& err_;
};

}  // namespace cli
