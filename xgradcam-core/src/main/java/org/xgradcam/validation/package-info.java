/**
 * The one place where input is checked before it is trusted: numbers (ranges, finiteness), files
 * (regular, sized, readable, before anything is allocated for them), and memory (a read or a decode
 * sized against what the heap has left). The library and the command line call the same checks, so
 * a bad value gets the same message whichever way it came in.
 */
package org.xgradcam.validation;
