#include "mend/client/sas.h"

namespace mend::client {

// Chosen for pairing by voice: common concrete nouns, 3 to 9 letters, no two words
// sharing their first three letters (so "typing the first three letters" is enough),
// no word or 4-letter prefix shared with the relay's rendezvous-code words
// (server/pairing/words.cpp), which are on screen at the same moment, and nothing
// that reads as a judgement in a couples app. Sorted; the order is part of the
// protocol: index i is the byte value i. Never reorder or edit an entry.
const std::array<std::string_view, 256>& sas_word_list() {
  static constexpr std::array<std::string_view, 256> kWords = {
      "abacus",   "acrobat",  "admiral",   "airship",  "alcove",    "almond",    "alpaca",
      "anvil",    "apron",    "arcade",    "armada",   "attic",     "avocado",   "axle",
      "baker",    "balcony",  "banner",    "barley",   "basket",    "beagle",    "biscuit",
      "blender",  "blimp",    "bobcat",    "bonnet",   "bouquet",   "bracelet",  "brioche",
      "buffalo",  "bugle",    "bungalow",  "burrow",   "cadet",     "canal",     "cargo",
      "cashew",   "catalog",  "cavern",    "celery",   "chapel",    "cheetah",   "chipmunk",
      "cinema",   "clarinet", "cobbler",   "compass",  "cookie",    "cosmos",    "crater",
      "crescent", "cuckoo",   "cymbal",    "dahlia",   "dancer",    "denim",     "dinghy",
      "domino",   "donkey",   "duffel",    "dumpling", "dynamo",    "easel",     "eclair",
      "eggplant", "elbow",    "elephant",  "elm",      "emblem",    "engine",    "envelope",
      "espresso", "fable",    "fairway",   "falafel",  "fawn",      "ferry",     "festival",
      "flannel",  "fleece",   "florist",   "fountain", "freckle",   "fudge",     "gallery",
      "gazebo",   "geyser",   "giraffe",   "glider",   "goblet",    "gondola",   "gopher",
      "gourd",    "granola",  "gumdrop",   "hammock",  "haystack",  "hedgehog",  "helmet",
      "hippo",    "hobby",    "hopscotch", "hummus",   "husky",     "icicle",    "igloo",
      "iguana",   "inkwell",  "iris",      "jaguar",   "javelin",   "jester",    "jigsaw",
      "journal",  "juggler",  "jukebox",   "juniper",  "kangaroo",  "kernel",    "ketchup",
      "keystone", "kimono",   "kitten",    "knapsack", "ladder",    "lasso",     "latte",
      "lavender", "lentil",   "leopard",   "lettuce",  "library",   "lobster",   "locket",
      "lollipop", "lumber",   "macaw",     "magnet",   "mammoth",   "mandolin",  "marigold",
      "mascot",   "meerkat",  "meteor",    "mocha",    "monsoon",   "mosaic",    "mustard",
      "napkin",   "narwhal",  "nickel",    "noodle",   "oatmeal",   "obelisk",   "oboe",
      "octopus",  "omelet",   "opal",      "orange",   "origami",   "ostrich",   "pancake",
      "papaya",   "pastry",   "peacock",   "pelican",  "penguin",   "petal",     "pickle",
      "pigeon",   "pilgrim",  "pistachio", "pixel",    "plaza",     "pollen",    "poncho",
      "popcorn",  "porridge", "postcard",  "potato",   "pretzel",   "pudding",   "puffin",
      "pumpkin",  "quail",    "quiche",    "raccoon",  "radish",    "raisin",    "recipe",
      "reindeer", "rhubarb",  "rickshaw",  "riddle",   "rooster",   "rowboat",   "saddle",
      "salad",    "sardine",  "satchel",   "sausage",  "scarf",     "scooter",   "seagull",
      "sesame",   "shovel",   "signal",    "skillet",  "sled",      "sloth",     "snorkel",
      "sorbet",   "spinach",  "sponge",    "squirrel", "stencil",   "sunflower", "syrup",
      "taco",     "tadpole",  "tapestry",  "teapot",   "telescope", "tennis",    "terrace",
      "thimble",  "toffee",   "toucan",    "trellis",  "trombone",  "trumpet",   "tuba",
      "tugboat",  "turnip",   "tuxedo",    "ukulele",  "umbrella",  "unicorn",   "vanilla",
      "vase",     "verse",    "volcano",   "voyage",   "waffle",    "wagon",     "walrus",
      "whistle",  "wizard",   "wombat",    "yacht",    "yak",       "yodel",     "yogurt",
      "zeppelin", "zigzag",   "zinnia",    "zucchini",
  };
  return kWords;
}

}  // namespace mend::client
