#pragma once
// KPG_API marks what libkpg exports; everything else in the library stays hidden.

#define KPG_API __attribute__((visibility("default")))
