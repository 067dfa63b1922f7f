package imageref
