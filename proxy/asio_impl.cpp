// The one translation unit that compiles Asio's implementation
// (BOOST_ASIO_SEPARATE_COMPILATION), so the other Asio users only parse declarations.
#include <boost/asio/impl/src.hpp>
