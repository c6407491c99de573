module.exports = () => 'victim-lib';
