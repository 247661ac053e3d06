#pragma once
// The demo page served at GET /: choose or drop an image, see the predicted mask overlaid on it
// (segmaker's palette, data/palette.h) with a legend of the classes and their pixel shares.
// The page calls POST /invocations with Accept: application/json. It marks its state on
// <body data-state="idle|loading|done|error"> so that a browser test can wait for it.
#include <string>

namespace segmaker::serve {

// The complete HTML document (inline CSS and JavaScript, no external resources).
std::string demo_page_html();

}  // namespace segmaker::serve
