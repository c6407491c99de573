module.exports = "__DATA__";
